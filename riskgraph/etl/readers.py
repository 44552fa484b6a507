"""Stream rows out of CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), JSON Lines and Parquet.

Files are never held whole: rows come out one at a time with their line number, as raw
strings keyed by the file's own headers. A line whose bytes are not valid in the file's
encoding, that is not a JSON object, or a CSV record with the wrong number of fields comes
out as a ``BadLine`` to be quarantined; its ``raw`` text keeps the original bytes
recoverable (see ``encoding.shown_bytes``).
"""

from __future__ import annotations

import csv
import functools
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from riskgraph.etl.encoding import UNDECODABLE, UnknownEncoding, detect, shown_bytes

# A quoted CSV field may hold line breaks, but a record running over this many physical
# lines is taken for a stray quote: its lines are read again one by one. This also bounds
# the memory an unclosed quote can take.
MAX_RECORD_LINES = 1_000


class FileRejected(Exception):
    """A whole file cannot be read (unknown format, undetectable encoding, no header)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class BadLine:
    """A line that could not be turned into a row."""

    line: int
    code: str
    reason: str
    raw: str


Row = tuple[int, dict[str, str | None]]


# -- encoding -------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """Return 'utf-8-sig' or 'gb18030' for the file (``encoding.detect``), or reject it."""
    try:
        return detect(path)
    except UnknownEncoding as exc:
        raise FileRejected("unknown_encoding", str(exc)) from None


def _bad_encoding(line: int, text: str, codec: str) -> BadLine:
    shown, how = shown_bytes(text.rstrip("\r\n"), codec)
    return BadLine(line, "invalid_encoding", f"bytes not valid {codec}; {how}", shown)


# -- dispatch -------------------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[str], str, Iterator[Row | BadLine]]:
    """Return the header, the detected format/encoding, and an iterator of rows."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix in _SPREADSHEETS:
        # No spreadsheet reader is installed, and a workbook's sheets, merged cells and
        # typed dates are the operator's to settle; saving as CSV settles them.
        raise FileRejected("unknown_format", (
            f"{path.name}: an Excel workbook, which is not read; open it and save it as CSV "
            "UTF-8 (Excel: File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', one file "
            "per sheet; WPS: 另存为 > CSV), then move the workbook out of the folder"))
    raise FileRejected("unknown_format", f"{path.name}: not CSV, JSON Lines or Parquet")


_SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".et")


# -- CSV ------------------------------------------------------------------------------------


class _RecordTooLong(Exception):
    """A CSV record ran over ``MAX_RECORD_LINES`` physical lines."""


class _Lines:
    """The physical lines of a text file for ``csv.reader``, numbered, and remembered
    since the last record was taken, so a bad record can be read again line by line."""

    def __init__(self, fh: TextIO) -> None:
        self._fh = fh
        self.number = 0  # lines handed out so far
        self._pending: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if len(self._pending) >= MAX_RECORD_LINES:
            raise _RecordTooLong
        text = next(self._fh)
        self.number += 1
        self._pending.append(text)
        return text

    def take(self) -> tuple[int, list[str]]:
        """Return the first line number and the lines of the record just read."""
        pending, self._pending = self._pending, []
        return self.number - len(pending) + 1, pending


@functools.cache
def _lift_field_limit() -> None:
    # A free-text field (a penalty's reasons) can pass the csv module's 128 KiB default.
    # Take the largest limit the platform's C long holds: a record's size is bounded by
    # MAX_RECORD_LINES, not by the field limit.
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


def _read_csv(path: Path) -> tuple[list[str], str, Iterator[Row | BadLine]]:
    _lift_field_limit()
    encoding = detect_encoding(path)
    codec = encoding.removesuffix("-sig")
    fh = open(path, encoding=encoding, errors="surrogateescape", newline="")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    lines = _Lines(fh)
    try:
        header = next(csv.reader(lines, delimiter=delimiter, strict=True))
    except StopIteration:
        fh.close()
        raise FileRejected("empty_file", f"{path.name}: no header line") from None
    except (_RecordTooLong, csv.Error):
        fh.close()
        raise FileRejected("bad_header",
                           f"{path.name}: the header line has an unbalanced quote") from None
    lines.take()
    header = [h.strip().lstrip("\ufeff") for h in header]
    return header, f"csv/{codec}", _csv_rows(fh, lines, header, delimiter, codec)


def _csv_rows(fh: TextIO, lines: _Lines, header: list[str], delimiter: str,
              codec: str) -> Iterator[Row | BadLine]:
    # Strict: a quote that closes a field must be followed by a delimiter or a line end, so
    # a stray quote closed by another one (a quote before text) is an error, not one row
    # made of every line between them.
    with fh:
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except (_RecordTooLong, csv.Error) as exc:
                first, texts = lines.take()
                context = (f"{_span(first, texts)}: {exc}" if isinstance(exc, csv.Error) else
                           f"{_span(first, texts)} were one record, still open after "
                           f"{len(texts)} lines")
                yield from _reread(first, texts, context, header, delimiter, codec)
                reader = csv.reader(lines, delimiter=delimiter, strict=True)  # a fresh one
                continue
            first, texts = lines.take()
            if not values or values == [""]:
                continue
            if len(texts) > 1 and len(values) != len(header):
                context = f"{_span(first, texts)} ran together as one record"
                yield from _reread(first, texts, context, header, delimiter, codec)
                continue
            text = "".join(texts)
            if UNDECODABLE.search(text):
                yield _bad_encoding(first, text, codec)
            elif len(values) != len(header):
                yield BadLine(first, "field_count",
                              f"{len(values)} fields, header has {len(header)}",
                              text.rstrip("\r\n"))
            else:
                yield first, dict(zip(header, values, strict=True))


def _span(first: int, texts: list[str]) -> str:
    return f"lines {first}-{first + len(texts) - 1}" if len(texts) > 1 else f"line {first}"


def _reread(first: int, texts: list[str], context: str, header: list[str], delimiter: str,
            codec: str) -> Iterator[Row | BadLine]:
    """Read the physical lines of a bad record that ran over several lines one by one.

    Such a record comes from a stray quote that opened a field: without this, every line
    up to the next quote would be one bad record. A line that alone has the header's
    field count and balanced quotes is a row; the others are quarantined, each under its
    own line number.
    """
    for line, text in enumerate(texts, start=first):
        if not text.strip("\r\n"):
            continue
        if UNDECODABLE.search(text):
            yield _bad_encoding(line, text, codec)
            continue
        try:
            values = next(csv.reader([text], delimiter=delimiter), [])
        except csv.Error:
            values = []
        shown = text.rstrip("\r\n")
        if text.count('"') % 2:
            yield BadLine(line, "unbalanced_quote",
                          "unbalanced quote: a quoted field opened on this line does not close "
                          f"on it ({context}; each line read on its own)", shown)
        elif len(values) != len(header):
            yield BadLine(line, "field_count",
                          f"{len(values)} fields, header has {len(header)} (read on its own "
                          f"after an unbalanced quote; {context})", shown)
        else:
            yield line, dict(zip(header, values, strict=True))


# -- JSON Lines -----------------------------------------------------------------------------


def _read_jsonl(path: Path) -> tuple[list[str], str, Iterator[Row | BadLine]]:
    header = _jsonl_header(path)

    def rows() -> Iterator[Row | BadLine]:
        with open(path, "rb") as fh:
            for line, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw.decode("utf-8-sig"))
                except UnicodeDecodeError:
                    yield _bad_encoding(line, raw.decode("utf-8", "surrogateescape"), "utf-8")
                    continue
                except ValueError as exc:
                    yield BadLine(line, "bad_json", f"not a JSON object: {exc}",
                                  raw.decode("utf-8").rstrip("\r\n"))
                    continue
                if not isinstance(obj, dict):
                    yield BadLine(line, "bad_json", "line is not a JSON object",
                                  raw.decode("utf-8").rstrip("\r\n"))
                    continue
                yield line, {str(k): _text(v) for k, v in obj.items()}

    return header, "jsonl/utf-8", rows()


def _jsonl_header(path: Path) -> list[str]:
    """Return the keys of all the file's objects, in first-seen order.

    A line that is not a JSON object has no say. A file that opens with ``[`` and is
    not JSON Lines is a JSON array document: it is rejected, since reading it would mean
    holding it whole.
    """
    keys: dict[str, None] = {}
    first: bytes | None = None
    objects = 0
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            try:
                obj, parsed = json.loads(raw.decode("utf-8-sig")), True
            except ValueError:  # UnicodeDecodeError too; the line is quarantined later
                obj, parsed = None, False
            if first is None:
                first = raw.removeprefix(b"\xef\xbb\xbf").lstrip()
                if first.startswith(b"[") and not parsed:
                    break  # a JSON array spread over lines
            if isinstance(obj, dict):
                objects += 1
                keys.update(dict.fromkeys(str(k) for k in obj))
    if first is None:
        raise FileRejected("empty_file", f"{path.name}: no lines")
    if not objects and first.startswith(b"["):
        raise FileRejected("json_array",
                           f"{path.name}: a JSON array, not JSON Lines; write one object "
                           "per line (for example with jq -c '.[]')")
    if not objects:
        raise FileRejected("bad_json", f"{path.name}: no line is a JSON object "
                                       "(JSON Lines holds one object per line)")
    return list(keys)


# -- Parquet --------------------------------------------------------------------------------


def _read_parquet(path: Path) -> tuple[list[str], str, Iterator[Row | BadLine]]:
    import pyarrow.parquet as pq

    try:
        pfile = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a bad file
        raise FileRejected("unreadable_file", f"{path.name}: not a Parquet file: {exc}") from exc
    header = list(pfile.schema_arrow.names)

    def rows() -> Iterator[Row | BadLine]:
        line = 0
        for batch in pfile.iter_batches(batch_size=20_000):
            for record in batch.to_pylist():
                line += 1
                yield line, {k: _text(v) for k, v in record.items()}

    return header, "parquet", rows()


def _text(value: object) -> str | None:
    """Return a typed value (JSON, Parquet) as the text a CSV would have held."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None  # pandas writes a missing number as NaN
        if math.isinf(value):
            return str(value)
        if value.is_integer():
            return str(int(value))  # 13800138000.0 (a float column with nulls) -> 13800138000
        return format(Decimal(repr(value)), "f")  # shortest digits, never an exponent
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)
