"""Stream rows out of CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), JSON Lines and Parquet.

Files are never held whole: rows come out one at a time with their line number, as raw
strings keyed by the file's own headers. A line whose bytes are not valid in the file's
encoding, or that is not valid JSON, comes out as a ``BadLine`` to be quarantined.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

SAMPLE_BYTES = 1 << 20
_UNDECODABLE = re.compile("[\udc80-\udcff]")


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


def detect_encoding(path: Path) -> str:
    """Return 'utf-8-sig' or 'gb18030' from the file's first megabyte, or reject the file.

    Each sampled line holding non-ASCII bytes is decoded strictly both ways. Text in GBK
    almost never decodes as UTF-8, so when at least half of those lines are valid UTF-8
    the file is UTF-8 (the other lines are quarantined as invalid). Otherwise at least
    half must be valid GB18030. A mostly-ASCII file whose few non-ASCII lines decode
    neither way is read as UTF-8 and those lines are quarantined; anything else is
    rejected rather than read with a wrong guess.
    """
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if len(sample) == SAMPLE_BYTES:
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    utf8 = gb = total = ascii_lines = 0
    for line in sample.splitlines():
        if line.isascii():
            ascii_lines += 1
            continue
        total += 1
        utf8 += _decodes(line, "utf-8")
        gb += _decodes(line, "gb18030")
    if total == 0 or utf8 * 2 >= total:
        return "utf-8-sig"
    if gb * 2 >= total:
        return "gb18030"
    if ascii_lines > total:
        return "utf-8-sig"  # plain ASCII with a few garbled lines: those are quarantined
    raise FileRejected(
        "unknown_encoding",
        f"{path.name}: neither UTF-8 nor GB18030 ({total - max(utf8, gb)} of {total} sampled "
        "non-ASCII lines undecodable)",
    )


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def read_rows(path: Path) -> tuple[list[str], str, Iterator[Row | BadLine]]:
    """Return the header, the detected format/encoding, and an iterator of rows."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise FileRejected("unknown_format", f"{path.name}: not CSV, JSON Lines or Parquet")


def _read_csv(path: Path) -> tuple[list[str], str, Iterator[Row | BadLine]]:
    encoding = detect_encoding(path)
    fh = open(path, encoding=encoding, errors="surrogateescape", newline="")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise FileRejected("empty_file", f"{path.name}: no header line") from None
    header = [h.strip().lstrip("\ufeff") for h in header]

    def rows() -> Iterator[Row | BadLine]:
        with fh:
            last = reader.line_num
            for values in reader:
                line = last + 1
                last = reader.line_num
                if not values or values == [""]:
                    continue
                joined = ",".join(values)
                if _UNDECODABLE.search(joined):
                    yield BadLine(line, "invalid_encoding",
                                  f"bytes not valid {encoding.removesuffix('-sig')}",
                                  joined.encode("utf-8", "surrogateescape")
                                  .decode("utf-8", "replace"))
                    continue
                if len(values) != len(header):
                    yield BadLine(line, "field_count",
                                  f"{len(values)} fields, header has {len(header)}", joined)
                    continue
                yield line, dict(zip(header, values, strict=True))

    return header, f"csv/{encoding.removesuffix('-sig')}", rows()


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
                    yield BadLine(line, "invalid_encoding", "bytes not valid utf-8",
                                  raw.decode("utf-8", "replace"))
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
