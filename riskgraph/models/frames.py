"""Typed frames projected from the graph store: the input of feature computation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

import pandas as pd

#: Columns of each table, in order. Dates are pandas datetime64 columns (NaT when missing).
COLUMNS: dict[str, tuple[str, ...]] = {
    "subjects": (
        "uscc",
        "kind",
        "industry",
        "region",
        "status",
        "registered_on",
        "key_sector",
        "registered_capital",
    ),
    "complaints": ("subject_uscc", "received_on", "substantiated"),
    "penalties": ("subject_uscc", "decided_on", "severity", "amount", "repaired_on"),
    "inspections": ("inspection_id", "subject_uscc", "inspected_on", "outcome", "task_id"),
    "list_entries": ("subject_uscc", "person_key", "list", "listed_on", "removed_on"),
    "ties": ("subject_uscc", "holder_key", "holder_kind", "role", "share_pct", "since",
             "until"),
    "addresses": ("subject_uscc", "address_key"),
    "phones": ("subject_uscc", "phone_key"),
    "commitments": ("subject_uscc", "made_on", "due_on", "fulfilment", "verified_on"),
}

#: Columns the features never read; a frame may leave them out.
OPTIONAL: frozenset[str] = frozenset({"status", "task_id", "share_pct", "since", "until"})


@dataclass(frozen=True, eq=False)
class GraphFrames:
    """Per-kind tables pulled out of the graph store, one row per node or relationship.

    subjects: ``uscc`` (str, unique), ``kind`` (enterprise|individual|cooperative|branch),
        ``industry``, ``region``, ``status`` (current; not used as a feature because it is
        not point-in-time), ``registered_on`` (date), ``key_sector`` (bool),
        ``registered_capital`` (float, NaN when unknown).
    complaints: ``subject_uscc``, ``received_on`` (date), ``substantiated`` (bool, may be NA).
    penalties: ``subject_uscc``, ``decided_on`` (date), ``severity`` (minor|general|serious),
        ``amount`` (float), ``repaired_on`` (date of credit repair, NaT when not repaired).
    inspections: ``inspection_id``, ``subject_uscc``, ``inspected_on`` (date),
        ``outcome`` (pass|fail|not_found), ``task_id``.
    list_entries: ``subject_uscc`` (NA when the entry lists a person), ``person_key``
        (NA when it lists a subject), ``list`` (abnormal_operation|serious_dishonest|
        joint_punishment), ``listed_on`` (date), ``removed_on`` (date, NaT while listed).
    ties: ``subject_uscc`` (the subject held or represented), ``holder_key`` (a person key,
        or the holder's USCC), ``holder_kind`` (person|subject), ``role`` (shareholder|
        legal_rep|executive|supervisor|branch_of; for branch_of the holder is the head
        office), ``share_pct`` (float, NaN), ``since`` (date the role began, NaT when
        unknown: then it counts from the subject's registration), ``until`` (date the
        role ended, NaT while it lasts; a legal representative's role also ends when a
        later one's begins: ``riskgraph.models.linkage.role_periods``).
    addresses: ``subject_uscc``, ``address_key`` (normalised; many subjects may share one).
    phones: ``subject_uscc``, ``phone_key`` (normalised).
    commitments: ``subject_uscc``, ``made_on``, ``due_on`` (dates), ``fulfilment``
        (pending|kept|broken), ``verified_on`` (the day a check found it kept or broken);
        read by the credit grade only, and empty when not given.
    """

    subjects: pd.DataFrame
    complaints: pd.DataFrame
    penalties: pd.DataFrame
    inspections: pd.DataFrame
    list_entries: pd.DataFrame
    ties: pd.DataFrame
    addresses: pd.DataFrame
    phones: pd.DataFrame
    commitments: pd.DataFrame = field(default_factory=lambda: empty_table("commitments"))

    def __post_init__(self) -> None:
        for f in fields(self):
            frame = getattr(self, f.name)
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(f"GraphFrames.{f.name} must be a DataFrame")
            missing = [c for c in COLUMNS[f.name] if c not in frame and c not in OPTIONAL]
            if missing:
                raise ValueError(f"GraphFrames.{f.name} lacks columns {missing}")

    def known_before(self, day: dt.date) -> GraphFrames:
        """The frames as they stood when ``day`` began: subjects registered before it (or
        undated) with their addresses and phones, roles begun before it between subjects
        kept, events dated before it; an end, repair, removal or check dated on or after
        it had not happened yet (a commitment whose outcome was not known is pending).

        Point-in-time features of ``day`` are the same on either (a test holds them to
        it); a back-test of ``day`` and a past day's scores are built on these frames so
        that nothing they read can count a later fact, whatever counts facts over the
        whole city (``Links.capped``, a model's training rows, a new statistic). Today's
        status stays: the exports carry no day a subject was cancelled."""
        at = pd.Timestamp(day)

        def before(frame: pd.DataFrame, column: str, undated: bool = False) -> pd.Series:
            dates = frame[column]
            return (dates < at) | (dates.isna() if undated else False)

        def unknown(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
            frame = frame.copy()
            for column in columns:
                frame.loc[frame[column] >= at, column] = pd.NaT
            return frame

        subjects = self.subjects[before(self.subjects, "registered_on", undated=True)]
        kept = set(subjects["uscc"])
        ties = self.ties[(before(self.ties, "since", undated=True) if "since" in self.ties
                          else True)
                         & self.ties["subject_uscc"].isin(kept)
                         & ((self.ties["holder_kind"] != "subject")
                            | self.ties["holder_key"].isin(kept))]
        commitments = self.commitments[before(self.commitments, "made_on", undated=True)]
        known = commitments["verified_on"].fillna(commitments["due_on"])
        commitments = unknown(commitments, "verified_on").assign(
            fulfilment=commitments["fulfilment"].where(~(known >= at), "pending"))
        return GraphFrames(
            subjects=subjects,
            complaints=self.complaints[before(self.complaints, "received_on")],
            penalties=unknown(self.penalties[before(self.penalties, "decided_on")],
                              "repaired_on"),
            inspections=self.inspections[before(self.inspections, "inspected_on")],
            list_entries=unknown(self.list_entries[before(self.list_entries, "listed_on")],
                                 "removed_on"),
            ties=unknown(ties, "until") if "until" in ties else ties,
            addresses=self.addresses[self.addresses["subject_uscc"].isin(kept)],
            phones=self.phones[self.phones["subject_uscc"].isin(kept)],
            commitments=commitments,
        )

    @classmethod
    def from_tables(cls, **tables: pd.DataFrame) -> GraphFrames:
        """Build frames from the given tables; a table not given is empty."""
        unknown = set(tables) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown tables {sorted(unknown)}")
        return cls(**{name: tables.get(name, empty_table(name)) for name in COLUMNS})


def empty_table(name: str) -> pd.DataFrame:
    """Return an empty table of one kind with its columns (dates as datetime64)."""
    cols: dict[str, pd.Series] = {}
    for col in COLUMNS[name]:
        is_date = col.endswith("_on")
        cols[col] = pd.Series([], dtype="datetime64[us]" if is_date else object)
    return pd.DataFrame(cols)
