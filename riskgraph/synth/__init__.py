"""A realistic, scalable, deterministic synthetic city in the input data contract.

``generate_city(out_dir, scale, seed, as_of)`` writes the ten input files
(``subjects.csv`` … ``items.csv``) to ``out_dir`` and the hidden truth to a separate
folder (default ``<out_dir>_truth``), never inside ``out_dir``, since the loader loads
every file there. The truth folder holds four CSV files:

- ``subject_risk.csv``: ``uscc, industry, base_rate, latent, cluster_effect, trend,
  p_violation`` — each subject's true probability that an inspection finds a problem
  as of ``as_of`` (see :mod:`riskgraph.synth.risk` for the formula);
- ``clusters.csv``: ``cluster_id, kind, uscc`` — planted shell clusters, one row per
  member and shared thing (``legal_rep``, ``address``, ``phone``);
- ``homonyms.csv``: ``group_id, name, person_id, planted`` — every person whose name is
  shared by another person (a different resident ID): any two rows of one group are a
  homonym pair; ``planted`` marks namesakes given on purpose to listed persons;
- ``conflicts.csv``: ``inspector_id, subject_uscc, relation, via_person_id, hops`` —
  planted inspector-subject links (``supervisor``, ``shareholder``: one hop from the
  inspector's person; ``co_owner``: three hops, through the co-owner ``via_person_id``).

Money is in yuan (``registered_capital`` for enterprises only, ``amount``); ``share_pct``
is a percentage with two decimals, and each subject's shares sum to exactly 100.
Addresses and phones are written in variants the loader's normaliser undoes (see
:mod:`riskgraph.synth.contacts`). No defects are planted: every row passes validation.
"""

from riskgraph.synth.city import generate_city

__all__ = ["generate_city"]
