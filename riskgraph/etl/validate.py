"""Row validation: turn one raw row of a kind into a clean record, or say why not."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from riskgraph.etl import contract
from riskgraph.etl.codes import resident_id_error, upgrade_legacy_id, uscc_error
from riskgraph.etl.normalize import (
    address_key,
    folded,
    parse_bool,
    parse_date,
    parse_number,
    parse_yuan_unit,
    phone_key,
)
from riskgraph.etl.pii import mask, mask_text, person_key
from riskgraph.etl.readers import FileRejected

# Columns people write sentences in: a resident ID typed into one is masked when stored.
FREE_TEXT = frozenset({"name", "reason", "authority", "category", "channel", "matter"})


def _is_bool(text: str) -> bool:
    try:
        parse_bool(text)
    except ValueError:
        return False
    return True


def identifier(raw: str) -> str:
    """A USCC or resident ID as typed: full-width characters and spaces inside folded
    away, upper case."""
    return folded(raw).upper()


class RowError(Exception):
    """A row breaks the contract; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class HeaderMap:
    """How a file's headers map to the contract's columns."""

    columns: dict[str, str]  # source header -> column
    ignored: dict[str, str]  # source header -> why it is not read
    units: dict[str, float] = field(default_factory=dict)  # column -> factor of a bare number


# A unit in brackets after a header: ``注册资本（万元）``, ``注册资本(万元)``, ``罚没金额[元]``.
_HEADER_UNIT = re.compile(r"^(.+?)[(\[【](.+)[)\]】]$")


def _column_and_unit(kind: contract.Kind,
                     name: str) -> tuple[str | None, float, str, int]:
    """The column a header names, the factor of its unit, why it is not read (when the
    column is None) and its ``Kind.preference`` (of the name without its unit)."""
    column = kind.column_for(name)
    if column:
        return column, 1.0, "", kind.preference(name)
    bracket = _HEADER_UNIT.match(contract.header_key(name))
    column = kind.column_for(bracket.group(1)) if bracket else None
    if bracket is None or column is None:
        return None, 1.0, "not a column of the contract", 0
    unit = bracket.group(2)
    reads = contract.HEADER_UNIT_COLUMNS.get(column)
    factor = parse_yuan_unit(unit) if reads == "yuan" else (1.0 if unit == "%" else None)
    if reads is None or factor is None:
        return None, 1.0, f"{column} with {unit!r} in brackets is not read", 0
    return column, factor, "", kind.preference(bracket.group(1))


def map_header(kind: contract.Kind, header: list[str], filename: str) -> HeaderMap:
    """Map the file's headers to contract columns, with the unit an amount's header
    names; reject a file missing a required one."""
    ignored: dict[str, str] = {}
    named: list[tuple[str, str]] = []  # (header, column) in the file's order
    chosen: dict[str, tuple[int, str, float]] = {}  # column -> (preference, header, unit)
    for raw in header:
        column, factor, why, rank = _column_and_unit(kind, raw.strip())
        if column is None:
            ignored[raw] = why
            continue
        named.append((raw, column))
        # two headers for one column: the one the contract names first is read
        # (履诺情况 over 核查结果), the other reported as not read
        if column in chosen and chosen[column][0] <= rank:
            ignored[raw] = f"{column} is read from {chosen[column][1]!r}"
            continue
        if column in chosen:
            ignored[chosen[column][1]] = f"{column} is read from {raw!r}"
        chosen[column] = (rank, raw, factor)
    columns = {raw: column for raw, column in named if chosen[column][1] == raw}
    units = {column: factor for column, (_, _, factor) in chosen.items() if factor != 1.0}
    present = set(columns.values())
    # the headers not read may be the missing column under a name the contract lacks
    unread = [h for h in ignored if h.strip()]
    note = f" (headers not read: {', '.join(unread)})" if unread else ""
    for column in kind.required:
        if column not in present:
            raise FileRejected("missing_column",
                               f"{filename}: required column {column!r} is missing{note}")
    if kind.one_of and not present.intersection(kind.one_of):
        raise FileRejected("missing_column", f"{filename}: needs one of the columns "
                                             f"{' or '.join(kind.one_of)}{note}")
    return HeaderMap(columns, ignored, units)


@dataclass
class Context:
    """What validation needs beyond the row: today, the PII key, the known subjects."""

    today: dt.date
    pii_secret: bytes
    subjects: set[str] = field(default_factory=set)
    persons: set[str] = field(default_factory=set)
    # item code -> its name, of the store and of this load's items file (set_items)
    items: dict[str, str | None] = field(default_factory=dict)
    _by_name: dict[str, str | None] | None = field(default=None, repr=False, init=False)

    def set_items(self, items: dict[str, str | None]) -> None:
        """Add or rename items (their codes and names)."""
        self.items.update(items)
        self._by_name = None

    def item_code(self, value: str | None) -> str | None:
        """An inspection's item as a code: a known code, or the code of the one item
        that bears this name (result publications name the item: 食品经营许可情况的检查);
        anything else as written."""
        if not value or value in self.items:
            return value
        if self._by_name is None:
            index: dict[str, str | None] = {}
            for code, name in self.items.items():
                if name:  # a name two items share names neither (None)
                    key = folded(name)
                    index[key] = code if key not in index else None
            self._by_name = index
        return self._by_name.get(folded(value)) or value


Record = dict[str, Any]


class RowValidator:
    """Validate the rows of one kind against the contract and the known references."""

    def __init__(self, kind: contract.Kind, columns: set[str], ctx: Context,
                 units: dict[str, float] | None = None) -> None:
        self.kind = kind
        self.columns = columns
        self.ctx = ctx
        self.units = units or {}  # column -> factor of a bare number (its header's unit)
        self._check: Callable[[dict[str, str], Record], str] = getattr(self, "_" + kind.name)
        self._person_cache: dict[str, tuple[str, str]] = {}
        # A bad value in a column the row can do without is cleared, not the row rejected:
        # (column, code, message) of the row being validated.
        self._optional = (set(kind.columns) - set(kind.required) - set(kind.one_of)
                          - set(kind.strict))
        self._cleared: list[tuple[str, str, str]] = []

    def validate(self, row: dict[str, str | None]) -> tuple[str, Record]:
        """Return the row's key and its clean record, or raise RowError."""
        values: dict[str, str] = {}
        self._cleared = []
        for column, raw in row.items():
            if raw is None:
                continue
            if "\x00" in raw:
                self._bad(column, "nul_byte", f"column {column!r} contains a NUL byte")
                continue
            text = raw.strip()
            if text:
                values[column] = text
        for column in self.kind.required:
            if column not in values:
                raise RowError("missing_value", f"required column {column!r} is empty")
        if self.kind.one_of:
            filled = [c for c in self.kind.one_of if c in values]
            if len(filled) != 1:
                raise RowError("ambiguous_reference",
                               f"exactly one of {', '.join(self.kind.one_of)} must be filled")
        record: Record = {}
        key = self._check(values, record)
        if self._cleared:
            record["cleared"] = self._cleared
        return key, record

    def _bad(self, column: str, code: str, message: str) -> None:
        """A value failed its check: reject the row if it needs the column, else clear the
        value (the row loads without it, a stored value stays) and remember why."""
        if column not in self._optional:
            raise RowError(code, message)
        self._cleared.append((column, code, message))

    # -- shared field checks ------------------------------------------------------------

    def _uscc(self, values: dict[str, str], column: str, must_exist: bool) -> str:
        code = identifier(values[column])
        if must_exist and code in self.ctx.subjects:
            return code  # a loaded subject's code was checked when it was loaded
        error = uscc_error(code)
        if error:
            raise RowError("bad_uscc", f"{column}: {error}")
        if must_exist and code not in self.ctx.subjects:
            raise RowError("unknown_subject", f"{column} {code} is not a loaded subject")
        return code

    def _person(self, values: dict[str, str], column: str, must_exist: bool) -> tuple[str, str]:
        code = upgrade_legacy_id(identifier(values[column]))
        cached = self._person_cache.get(code)
        if cached is not None and (not must_exist or cached[0] in self.ctx.persons):
            return cached
        error = resident_id_error(code, self.ctx.today)
        if error:
            raise RowError("bad_person_id", f"{column}: {error}")
        key = person_key(self.ctx.pii_secret, code)
        if must_exist and key not in self.ctx.persons:
            raise RowError("unknown_person", f"{column} {mask(code)} is not a loaded person")
        if len(self._person_cache) > 200_000:
            self._person_cache.clear()  # bound the memory of very large loads
        self._person_cache[code] = (key, mask(code))
        return key, mask(code)

    def _date(self, values: dict[str, str], column: str,
              future: bool = False) -> dt.date | None:
        """The column's date; one after today is an error unless ``future`` (a deadline)."""
        if column not in values:
            return None
        try:
            day = parse_date(values[column])
        except ValueError as exc:
            return self._bad(column, "bad_date", f"{column}: {exc}")
        if day > self.ctx.today and not future:
            return self._bad(column, "future_date", f"{column} {day.isoformat()} is in the future")
        return day

    def _enum(self, values: dict[str, str], column: str) -> str | None:
        if column not in values:
            return None
        raw = values[column]
        value = contract.enum_value(column, raw)
        if value:
            return value
        allowed = ", ".join(contract.ENUMS[column])
        return self._bad(column, "bad_enum", f"{column} {raw!r} is not one of {allowed}")

    def _number(self, values: dict[str, str], column: str, low: float = 0.0,
                high: float | None = None, percent: bool = False) -> float | None:
        if column not in values:
            return None
        try:
            number = parse_number(values[column], percent=percent,
                                  unit=self.units.get(column, 1.0))
        except ValueError:
            return self._bad(column, "bad_number", f"{column}: {values[column]!r} is not a number")
        if number < low or (high is not None and number > high):
            code = "negative_amount" if number < low else "out_of_range"
            bound = f"between {low:g} and {high:g}" if high is not None else f">= {low:g}"
            return self._bad(column, code, f"{column} {number:g} must be {bound}")
        return number

    def _bool(self, values: dict[str, str], column: str) -> bool | None:
        if column not in values:
            return None
        try:
            return parse_bool(values[column])
        except ValueError as exc:
            return self._bad(column, "bad_bool", f"{column}: {exc}")

    def _props(self, record: Record, **props: Any) -> None:
        # Only columns the file carries are written: a file without a column leaves the
        # stored value alone, an empty cell in a carried column clears it. A resident ID
        # written into free text (a penalty's reason) is masked before it is stored; codes
        # (task ids, item codes) are kept as they are, though some look like IDs.
        cleared = {column for column, _, _ in self._cleared}
        record["props"] = {k: mask_text(v) if k in FREE_TEXT and isinstance(v, str) else v
                           for k, v in props.items() if k in self.columns and k not in cleared}

    # -- kinds --------------------------------------------------------------------------

    def _subjects(self, v: dict[str, str], rec: Record) -> str:
        uscc = self._uscc(v, "uscc", must_exist=False)
        address = v.get("address")
        phone = v.get("phone")
        rec.update(uscc=uscc, region=v["region"],
                   set_address="address" in self.columns,
                   address_key=address_key(address) if address else None,
                   set_phone="phone" in self.columns,
                   phone_key=phone_key(phone) if phone else None)
        self._props(rec, name=v["name"], kind=self._enum(v, "kind"), industry=v.get("industry"),
                    region=v["region"], address=address, phone=phone,
                    registered_on=self._date(v, "registered_on"), status=self._enum(v, "status"),
                    registered_capital=self._number(v, "registered_capital"),
                    key_sector=self._bool(v, "key_sector"))
        return uscc

    def _persons(self, v: dict[str, str], rec: Record) -> str:
        key, masked = self._person(v, "person_id", must_exist=False)
        rec.update(key=key, props={"name": v["name"], "masked_id": masked})
        return key

    def _roles(self, v: dict[str, str], rec: Record) -> str:
        subject = self._uscc(v, "subject_uscc", must_exist=True)
        role = self._enum(v, "role")
        if "holder_uscc" in v:
            holder, holder_kind = self._uscc(v, "holder_uscc", must_exist=True), "subject"
            if holder == subject:
                raise RowError("self_reference", "a subject cannot hold a role in itself")
        else:
            holder, holder_kind = self._person(v, "holder_person_id", must_exist=True)[0], "person"
        if role == "branch_of" and holder_kind != "subject":
            raise RowError("bad_reference", "branch_of needs holder_uscc (the parent subject)")
        if role == "legal_rep" and holder_kind != "person":
            raise RowError("bad_reference", "a legal representative is a person")
        rec.update(subject=subject, holder=holder, holder_kind=holder_kind, role=role)
        since, until = self._date(v, "since"), self._date(v, "until")
        if until and since and until < since:
            until = self._bad("until", "bad_date", "until is before since")
        self._props(rec, share_pct=self._number(v, "share_pct", 0.0, 100.0, percent=True),
                    since=since, until=until)
        rec["props"] = {"pct" if k == "share_pct" else k: x for k, x in rec["props"].items()}
        return f"{subject}|{holder}|{role}"

    def _complaints(self, v: dict[str, str], rec: Record) -> str:
        rec.update(id=v["complaint_id"], subject=self._uscc(v, "subject_uscc", must_exist=True))
        self._props(rec, received_on=self._date(v, "received_on"), channel=v.get("channel"),
                    category=v.get("category"), substantiated=self._bool(v, "substantiated"))
        return v["complaint_id"]

    def _penalties(self, v: dict[str, str], rec: Record) -> str:
        decided = self._date(v, "decided_on")
        repaired = self._date(v, "repaired_on")
        if repaired and decided and repaired < decided:
            repaired = self._bad("repaired_on", "bad_date", "repaired_on is before decided_on")
        rec.update(id=v["penalty_id"], subject=self._uscc(v, "subject_uscc", must_exist=True),
                   department=v.get("department"))
        self._props(rec, department=v.get("department"), decided_on=decided,
                    severity=self._enum(v, "severity"), amount=self._number(v, "amount"),
                    reason=v.get("reason"), repaired_on=repaired)
        return v["penalty_id"]

    def _commitments(self, v: dict[str, str], rec: Record) -> str:
        made = self._date(v, "made_on")
        due = self._date(v, "due_on", future=True)
        verified = self._date(v, "verified_on")
        if due and made and due < made:
            due = self._bad("due_on", "bad_date", "due_on is before made_on")
        if verified and made and verified < made:
            verified = self._bad("verified_on", "bad_date", "verified_on is before made_on")
        fulfilment = self._enum(v, "fulfilment")  # a strict column: unread, the row is lost
        rec.update(id=v["commitment_id"],
                   subject=self._uscc(v, "subject_uscc", must_exist=True))
        self._props(rec, department=v.get("department"), matter=v.get("matter"),
                    made_on=made, due_on=due, fulfilment=fulfilment, verified_on=verified)
        return v["commitment_id"]

    def _inspections(self, v: dict[str, str], rec: Record) -> str:
        rec.update(id=v["inspection_id"], subject=self._uscc(v, "subject_uscc", must_exist=True),
                   task_id=v.get("task_id"), department=v.get("department"))
        self._props(rec, task_id=v.get("task_id"), item_code=self.ctx.item_code(v.get("item_code")),
                    department=v.get("department"),
                    inspected_on=self._date(v, "inspected_on"), outcome=self._enum(v, "outcome"))
        return v["inspection_id"]

    def _list_entries(self, v: dict[str, str], rec: Record) -> str:
        if "subject_uscc" in v:
            target, target_kind = self._uscc(v, "subject_uscc", must_exist=True), "subject"
        else:
            target, target_kind = self._person(v, "person_id", must_exist=True)[0], "person"
        listed = self._date(v, "listed_on")
        removed = self._date(v, "removed_on")
        if removed and listed and removed < listed:
            removed = self._bad("removed_on", "bad_date", "removed_on is before listed_on")
        name = self._enum(v, "list")
        assert listed is not None and name is not None  # required columns
        key = f"{target}|{name}|{listed.isoformat()}"
        rec.update(id=hashlib.sha256(key.encode()).hexdigest()[:32], target=target,
                   target_kind=target_kind)
        self._props(rec, list=name, listed_on=listed, removed_on=removed,
                    authority=v.get("authority"), reason=v.get("reason"))
        return key

    def _inspectors(self, v: dict[str, str], rec: Record) -> str:
        key, masked = self._person(v, "person_id", must_exist=False)
        quals = sorted({q.strip() for q in v.get("qualifications", "").replace("；", ";").split(";")
                        if q.strip()})
        rec.update(id=v["inspector_id"], person=key, masked_id=masked,
                   person_name=v.get("name"), department=v["department"])
        self._props(rec, name=v.get("name"), department=v["department"], region=v.get("region"),
                    qualifications=quals)
        return v["inspector_id"]

    def _items(self, v: dict[str, str], rec: Record) -> str:
        rec.update(id=v["item_code"], department=v["department"])
        # key_item may name the kind of key item (safety, quality, public_interest): a word
        # that is not a yes or no is a key item, as the draws read it
        key = None if "key_item" not in v else (
            parse_bool(v["key_item"]) if _is_bool(v["key_item"]) else True)
        self._props(rec, department=v["department"], area=v.get("area"), name=v.get("name"),
                    key_item=key)
        return v["item_code"]
