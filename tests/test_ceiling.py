"""Ceilings of a synthetic city: the Bayes posterior from own history sits between knowing
nothing but the prior and knowing the truth."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from riskgraph.etl.normalize import address_key
from riskgraph.synth.ceiling import ceilings, posterior_probability, shared_effects
from riskgraph.synth.city import OWNER_SHARE, SITE_SHARE, build_city
from riskgraph.synth.inspections import FAIL, PASS
from riskgraph.synth.subjects import LATENT_SD


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



def test_shared_effects_are_what_members_share(city) -> None:
    """The graph oracle's columns: one site effect per shared address, one conduct per
    legal representative (only where the person runs more than one subject), and the
    shares of the latent variance the generator mixes in."""
    e = shared_effects(city)
    assert list(e.index) == list(np.asarray(city.uscc))
    site = pd.Series(np.asarray(city.address)).map(address_key).to_numpy()
    per_site = pd.Series(e["site"].to_numpy()).groupby(site).nunique()
    assert (per_site == 1).all()  # everyone at one address shares one effect
    sizes = pd.Series(site).map(pd.Series(site).value_counts()).to_numpy()
    assert (e["site"].to_numpy()[sizes == 1] == 0).all()
    shared = sizes > 1
    assert e["site"][shared].var() == pytest.approx(SITE_SHARE * LATENT_SD**2, rel=0.2)
    legal = city.legal
    runs = np.bincount(legal[legal >= 0])[np.maximum(legal, 0)]
    assert (e["owner"].to_numpy()[(legal < 0) | (runs == 1)] == 0).all()
    alone = (legal >= 0) & (runs > 1) & ~shared  # not scaled down by a site's share
    conduct = pd.Series(e["owner"].to_numpy()[alone]).groupby(legal[alone]).nunique()
    assert (conduct == 1).all()
    assert e["owner"][alone].var() == pytest.approx(OWNER_SHARE * LATENT_SD**2, rel=0.25)
    assert (e["cluster"].to_numpy() == city.risk.cluster).all()
