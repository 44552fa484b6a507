"""The hidden risk: each subject's true probability that an inspection finds a problem.

On the logit scale the risk of subject *i* on day *t* is

    logit p_i(t) = logit(base rate of the industry) + latent_i + cluster effect_i
                   + trend_i * (t - as_of) / year + NEW * max(0, 1 - age_i(t) / 2 years)

``latent_i`` is a persistent per-subject effect, shell clusters add their effect, risk
drifts slowly (``trend_i``) and newly registered subjects are riskier for two years.
Complaints, penalties and failed inspections are all drawn from this same quantity at
the time they happen, so earlier events are noisy signals of later outcomes — what a
point-in-time model has to learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskgraph.synth import vocab
from riskgraph.synth.subjects import Subjects

YEAR = 365.25
NEW = 0.5  # extra logit risk on the day of registration, fading over two years
TREND_SD = 0.15  # drift of the logit risk per year


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Risk:
    """Per-subject parameters of the hidden risk."""

    base: np.ndarray  # logit of the industry's base rate
    latent: np.ndarray
    cluster: np.ndarray
    trend: np.ndarray
    registered_on: np.ndarray
    as_of: int

    @classmethod
    def draw(cls, rng: np.random.Generator, s: Subjects, as_of: int) -> Risk:
        """Draw the drift of each subject and assemble its risk parameters."""
        rate = np.array([ind.base_rate for ind in vocab.INDUSTRIES])[s.industry]
        return cls(
            np.log(rate / (1.0 - rate)),
            s.latent,
            s.cluster_effect,
            rng.normal(0.0, TREND_SD, s.n),
            s.registered_on,
            as_of,
        )

    def excess(self, subject: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Return the logit risk above the industry's base on ``day``, per row."""
        years = (np.asarray(day, np.float64) - self.as_of) / YEAR
        age = (np.asarray(day, np.float64) - self.registered_on[subject]) / YEAR
        return (
            self.latent[subject]
            + self.cluster[subject]
            + self.trend[subject] * years
            + NEW * np.clip(1.0 - age / 2.0, 0.0, 1.0)
        )

    def logit(self, subject: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Return the logit of the violation probability on ``day``, per row."""
        return self.base[subject] + self.excess(subject, day)

    def prob(self, subject: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Return the violation probability on ``day``, per row."""
        return sigmoid(self.logit(subject, day))

    def now(self) -> np.ndarray:
        """Return every subject's violation probability as of ``as_of``."""
        subject = np.arange(len(self.base))
        return self.prob(subject, np.full(len(subject), self.as_of))
