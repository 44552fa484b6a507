"""Which encoding a CSV file is in (UTF-8 or GB18030/GBK), read from the whole file, and
how a line that is valid in neither is shown so its bytes can be recovered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 1 << 20
UNDECODABLE = re.compile("[\udc80-\udcff]")


class UnknownEncoding(Exception):
    """The file is neither UTF-8 nor GB18030."""


def detect(path: Path) -> str:
    """Return 'utf-8-sig' or 'gb18030' from the whole file, or reject the file.

    Each line holding non-ASCII bytes is checked strictly both ways. Text in GBK almost
    never decodes as UTF-8, so when at least half of those lines are valid UTF-8 the file
    is UTF-8 (the other lines are quarantined as invalid). Otherwise at least half must be
    valid GB18030. A mostly-ASCII file whose few non-ASCII lines decode neither way is read
    as UTF-8 and those lines are quarantined; anything else is rejected rather than read
    with a wrong guess. The file is streamed in chunks, each checked whole by the codecs
    first; the scan stops as soon as the lines not yet seen could not change the answer.
    """
    total = _count_lines(path)
    tally = _scan(path, total, _Tally())
    verdict = tally.verdict(0)
    if verdict == "rescan":
        tally = _scan(path, total, _Tally(exact=True))
        verdict = tally.verdict(0)
    if verdict == "reject":
        bad = tally.other - max(tally.utf8, tally.gb)
        raise UnknownEncoding(
            f"{path.name}: neither UTF-8 nor GB18030 ({bad} of {tally.other} non-ASCII "
            "lines undecodable)")
    assert verdict is not None
    return verdict


@dataclass
class _Tally:
    """Counts of the lines scanned so far: pure ASCII, non-ASCII ("other"), and of those
    the ones valid as UTF-8 and as GB18030."""

    exact: bool = False  # also check GB18030 in chunks that are valid UTF-8 throughout
    ascii: int = 0
    other: int = 0
    utf8: int = 0
    gb: int = 0
    gb_unchecked: int = 0  # non-ASCII lines of all-UTF-8 chunks not checked as GB18030

    def add(self, chunk: bytes) -> int:
        """Count the lines of ``chunk`` (whole lines only); return how many it holds."""
        if chunk.isascii():
            lines = _line_breaks(chunk) + (not chunk.endswith((b"\n", b"\r")))
            self.ascii += lines
            return lines
        split = chunk.splitlines()
        marked = [line for line in split if not line.isascii()]
        self.ascii += len(split) - len(marked)
        self.other += len(marked)
        whole_utf8 = _decodes(chunk, "utf-8")
        self.utf8 += len(marked) if whole_utf8 else _count_valid(marked, "utf-8")
        if whole_utf8 and not self.exact:
            # Whether these lines are GB18030 too matters only when most lines of the
            # file are not UTF-8; then the file is scanned again with exact=True.
            self.gb_unchecked += len(marked)
        elif _decodes(chunk, "gb18030"):
            self.gb += len(marked)
        else:
            self.gb += _count_valid(marked, "gb18030")
        return len(split)

    def verdict(self, unseen: int) -> str | None:
        """The encoding, 'reject', 'rescan' (scan again exactly), or None while ``unseen``
        more lines could change the answer: each could be non-ASCII and valid in neither
        encoding, or valid in the other one."""
        utf8, gb, other = self.utf8, self.gb, self.other
        if 2 * utf8 >= other + unseen:
            return "utf-8-sig"
        if 2 * utf8 + unseen < other and 2 * gb >= other + unseen:
            return "gb18030"
        if unseen:
            return None
        if 2 * (gb + self.gb_unchecked) >= other:
            return "rescan"
        if self.ascii > other:
            return "utf-8-sig"  # plain ASCII with a few garbled lines: those are quarantined
        return "reject"


def _scan(path: Path, total: int, tally: _Tally) -> _Tally:
    """Tally the file's lines until the answer is certain; ``total`` bounds its lines."""
    seen = 0
    with open(path, "rb") as fh:
        rest = b""
        while tally.verdict(max(total - seen, 0)) is None:
            block = fh.read(CHUNK_BYTES)
            data = rest + block
            # Cut after the last line break; a CR at the very end may be half of a CR LF.
            cut = (data.rfind(b"\n") + 1 or data.rfind(b"\r", 0, len(data) - 1) + 1
                   if block else len(data))
            chunk, rest = data[:cut], data[cut:]
            if chunk:
                seen += tally.add(chunk)
            if not block:
                break
    return tally


def _line_breaks(data: bytes) -> int:
    if b"\r" not in data:
        return data.count(b"\n")
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _count_lines(path: Path) -> int:
    """An upper bound on the file's lines (a CR LF split between two reads counts twice)."""
    lines = 1
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            lines += _line_breaks(block)
    return lines


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _count_valid(lines: list[bytes], encoding: str) -> int:
    return sum(_decodes(line, encoding) for line in lines)


def shown_bytes(text: str, codec: str) -> tuple[str, str]:
    """Return an undecodable line as text from which its exact bytes can be recovered,
    and a note saying how.

    ``text`` holds the bad bytes as surrogate escapes. When the bytes are valid in the
    other supported encoding, that decoding is shown (often the line is simply in the
    other encoding); otherwise each bad byte is written ``\\xNN`` and each backslash is
    doubled, so the escapes cannot be confused with the text.
    """
    data = text.encode(codec, "surrogateescape")
    other = "gb18030" if codec == "utf-8" else "utf-8"
    try:
        return data.decode(other), f"raw is the line decoded as {other}"
    except UnicodeDecodeError:
        escaped = UNDECODABLE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}",
                                   text.replace("\\", "\\\\"))
        return escaped, "in raw each undecodable byte is \\xNN and each backslash is doubled"
