"""Ceilings of a synthetic city: the Bayes posterior from own history sits between knowing
nothing but the prior and knowing the truth."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from riskgraph.synth.ceiling import ceilings, posterior_probability
from riskgraph.synth.city import build_city
from riskgraph.synth.inspections import FAIL, PASS


@pytest.fixture(scope="module")
def city():
    return build_city(20_000, 4, dt.date(2026, 9, 30))


def test_ceilings_are_ordered(city) -> None:
    c = ceilings(city)
    assert 1.0 < c["prior"] < c["bayes_own_no_cluster"] < c["perfect"]
    assert c["prior"] < c["bayes_own"] < c["perfect"]


def test_posterior_is_calibrated_on_average(city) -> None:
    post = posterior_probability(city)
    open_ = city.subjects.closed_on >= city.risk.as_of
    true = city.risk.now()[open_]
    assert ((0 < post) & (post < 1)).all()
    assert post[open_].mean() == pytest.approx(true.mean(), rel=0.1)


def test_more_failures_raise_the_posterior(city) -> None:
    ins = city.inspections
    worse = dataclasses.replace(ins, outcome=np.full_like(ins.outcome, FAIL))
    before = posterior_probability(city)
    after = posterior_probability(dataclasses.replace(city, inspections=worse))
    passed = np.bincount(ins.subject, weights=ins.outcome == PASS, minlength=city.subjects.n) > 0
    inspected = np.bincount(ins.subject, minlength=city.subjects.n) > 0
    assert passed.sum() > 1000 and (after[passed] > before[passed]).all()
    assert (after[inspected] >= before[inspected]).all()
    assert np.allclose(after[~inspected], before[~inspected])

