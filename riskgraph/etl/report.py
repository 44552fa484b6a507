"""The load report and the quarantine file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO


@dataclass
class FileReport:
    """Counts of one input file: read = loaded + quarantined + duplicates."""

    file: str
    kind: str | None
    format: str = ""
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicates: int = 0
    rejected: str | None = None  # why the whole file was rejected, if it was
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    # values cleared from rows that loaded without them (a bad optional value), by code
    cleared: int = 0
    cleared_reasons: dict[str, int] = field(default_factory=dict)
    # loaded rows that updated a key an earlier row of this load had loaded (the later wins)
    superseded: int = 0
    # source header -> the column it loads into; source header -> why it is not read;
    # column -> the factor its header's unit gives a bare number (注册资本（万元）: 10,000)
    headers: dict[str, str] = field(default_factory=dict)
    ignored_headers: dict[str, str] = field(default_factory=dict)
    header_units: dict[str, float] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        """True when every row read is accounted for."""
        return self.read == self.loaded + self.quarantined + self.duplicates

    @property
    def quarantined_share(self) -> float:
        """The share of the rows read that were quarantined."""
        return self.quarantined / self.read if self.read else 0.0

    @property
    def unread_headers(self) -> list[str]:
        """The named headers whose columns were not read (a trailing comma's unnamed
        column is no warning)."""
        return [h for h in self.ignored_headers if h.strip()]


@dataclass
class LoadReport:
    """What one load did, file by file."""

    source: str
    started_at: str
    files: list[FileReport] = field(default_factory=list)
    seconds: float = 0.0
    quarantine_file: str | None = None
    nodes: int | None = None
    relationships: int | None = None
    # a file quarantining more than this share of its rows fails the load
    max_quarantine_share: float = 1.0

    @property
    def totals(self) -> dict[str, int]:
        """Sums over all files."""
        keys = ("read", "loaded", "quarantined", "duplicates", "cleared", "superseded")
        return {k: sum(getattr(f, k) for f in self.files) for k in keys}

    @property
    def reconciles(self) -> bool:
        """True when every file reconciles."""
        return all(f.reconciles for f in self.files)

    @property
    def over_quarantine_share(self) -> list[FileReport]:
        """The files that quarantined more than ``max_quarantine_share`` of their rows."""
        return [f for f in self.files if f.quarantined_share > self.max_quarantine_share]

    def quarantine_share_error(self) -> str | None:
        """One line naming the files over the quarantine share, or None."""
        over = self.over_quarantine_share
        if not over:
            return None
        files = "; ".join(f"{f.file}: {f.quarantined:,} of {f.read:,} rows "
                          f"({_percent(f.quarantined_share)})" for f in over)
        return (f"more than {_percent(self.max_quarantine_share)} of a file's rows "
                f"quarantined: {files}; the reasons are in {self.quarantine_file}")

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of the report."""
        data = asdict(self)
        for entry, f in zip(data["files"], self.files, strict=True):
            entry["quarantined_share"] = round(f.quarantined_share, 4)
        data["totals"] = self.totals
        data["reconciles"] = self.reconciles
        data["over_quarantine_share"] = [f.file for f in self.over_quarantine_share]
        rate = self.totals["read"] / self.seconds if self.seconds else None
        data["rows_per_second"] = round(rate) if rate is not None else None
        return data

    def write(self, path: Path) -> None:
        """Write the report as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2))

    def table(self) -> str:
        """Render the report as a fixed-width table."""
        head = (f"{'file':<34} {'kind':<13} {'read':>9} {'loaded':>9} {'quarant.':>9} "
                f"{'dupl.':>7}  ok")
        lines = [head, "-" * len(head)]
        for f in self.files:
            ok = "REJECTED" if f.rejected else ("yes" if f.reconciles else "NO")
            lines.append(f"{f.file[:34]:<34} {str(f.kind):<13} {f.read:>9,} {f.loaded:>9,} "
                         f"{f.quarantined:>9,} {f.duplicates:>7,}  {ok}")
            if f.rejected:
                lines.append(f"    rejected: {f.rejected}")
            # the mapping only where a header is not the column's own name (the JSON
            # report has every file's)
            if any(h != c or c in f.header_units for h, c in f.headers.items()):
                lines.append("    headers: " + ", ".join(
                    _mapped(h, c, f.header_units.get(c)) for h, c in f.headers.items()))
            if f.unread_headers:
                lines.append(f"    WARNING {len(f.unread_headers)} header(s) not loaded: "
                             + ", ".join(f"{h} ({f.ignored_headers[h]})"
                                         for h in f.unread_headers))
            if f.quarantined_share > self.max_quarantine_share:
                lines.append(f"    ERROR {_percent(f.quarantined_share)} of the rows "
                             f"quarantined, more than {_percent(self.max_quarantine_share)}")
            for code, n in sorted(f.reasons.items()):
                lines.append(f"    {code}: {n:,}")
            for code, n in sorted(f.cleared_reasons.items()):
                lines.append(f"    {code}: {n:,} value(s) cleared, their rows loaded")
            if f.superseded:
                lines.append(f"    {f.superseded:,} row(s) updated a key loaded earlier in "
                             "this load (the later row wins)")
        t = self.totals
        lines.append("-" * len(head))
        lines.append(f"{'total':<48} {t['read']:>9,} {t['loaded']:>9,} {t['quarantined']:>9,} "
                     f"{t['duplicates']:>7,}  {'yes' if self.reconciles else 'NO'}")
        if t["cleared"]:
            lines.append(f"{t['cleared']:,} bad value(s) in optional columns cleared; their rows "
                         "loaded (quarantine records with loaded=true)")
        rate = f"{t['read'] / self.seconds:,.0f} rows/s" if self.seconds else ""
        lines.append(f"{self.seconds:.1f} s  {rate}")
        if self.nodes is not None:
            lines.append(f"graph: {self.nodes:,} nodes, {self.relationships:,} relationships")
        if self.quarantine_file:
            lines.append(f"quarantine: {self.quarantine_file}")
        return "\n".join(lines)


def _percent(share: float) -> str:
    return f"{share * 100:.3g} %"


def _mapped(header: str, column: str, unit: float | None) -> str:
    shown = column if header == column else f"{header}→{column}"
    return f"{shown} ×{unit:,.0f}" if unit else shown


class Quarantine:
    """Append rejected rows, with their file, line, reason code, reason and raw row, and
    the values cleared from rows that loaded without them (``column``, ``loaded`` true)."""

    def __init__(self, fh: TextIO) -> None:
        self._fh = fh

    def add(self, file: str, line: int | None, code: str, reason: str, raw: Any,
            column: str | None = None, loaded: bool = False) -> None:
        """Record one rejected row (or a whole file, with line None), or one value of a
        loaded row (``column``; ``loaded=True``)."""
        record = {"file": file, "line": line, "code": code, "reason": reason, "raw": raw,
                  "column": column, "loaded": loaded}
        self._fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
