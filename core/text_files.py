"""Reading a user's text file: UTF-8 (with or without a byte-order mark), or one clear error.

Files reach benchlab from editors and shells that do not all write UTF-8: a
PowerShell ``>`` redirect writes UTF-16, an old editor Latin-1 or Windows-1252.
Decoding such a file as UTF-8 fails deep inside a reader with a traceback; this
module names the file and the encoding it found instead, so the user knows what
to re-save it as.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from benchlab.errors import BenchlabError

RESAVE = "save it as UTF-8"

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "UTF-32 BE"),
    (codecs.BOM_UTF16_LE, "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "UTF-16 BE"),
)
# How many leading bytes the NUL-pattern guess looks at.
_SAMPLE = 64


def read_text(path: Path | str, label: str | None = None) -> str:
    """The text of ``path``; a BenchlabError (``[LABEL ]PATH: ...``) when it cannot be read
    or is not UTF-8. A UTF-8 byte-order mark is accepted and dropped."""
    where = f"{label} {path}" if label else str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BenchlabError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    return decode_text(data, where)


def decode_text(data: bytes, where: str) -> str:
    """``data`` decoded as UTF-8 (an optional BOM dropped), else a BenchlabError naming ``where``."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    else:
        found = _wide_encoding(data)
        if found is not None:
            # Windows PowerShell's ">" writes UTF-16 LE: say how to get UTF-8 from it instead.
            hint = " (PowerShell: ... | Out-File -Encoding utf8 FILE)" if found.startswith("UTF-16 LE") else ""
            raise BenchlabError(f"{where}: the file is {found}, not UTF-8; {RESAVE}{hint}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise BenchlabError(f"{where}: not UTF-8: byte 0x{byte:02X} at line {line}{_single_byte_guess(data)}; {RESAVE}") from None


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32, told by a byte-order mark or, without one, by where the NULs fall."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return f"{name} (byte-order mark)"
    sample = data[:_SAMPLE - _SAMPLE % 4]
    if b"\0" not in sample or len(sample) < 4:
        return None
    # ASCII text in a wide encoding puts each character's NULs at fixed offsets.
    if all(sample[i + 1:i + 4] == b"\0\0\0" for i in range(0, len(sample) - 3, 4)):
        return "UTF-32 LE (no byte-order mark)"
    if all(sample[i:i + 3] == b"\0\0\0" for i in range(0, len(sample) - 3, 4)):
        return "UTF-32 BE (no byte-order mark)"
    odd, even = sample[1::2], sample[0::2]
    if odd.count(0) > len(odd) // 2 and even.count(0) == 0:
        return "UTF-16 LE (no byte-order mark)"
    if even.count(0) > len(even) // 2 and odd.count(0) == 0:
        return "UTF-16 BE (no byte-order mark)"
    return None


def _single_byte_guess(data: bytes) -> str:
    """A hint when every byte reads as Windows-1252 (a superset of Latin-1's printable range)."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return ""
    if any(0x80 <= b <= 0x9F for b in data):
        return " (it reads as Windows-1252)"
    return " (it reads as Latin-1 or Windows-1252)"
