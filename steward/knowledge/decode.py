"""Bytes to text: byte-order marks, UTF-8 first, then charset-normalizer."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from steward.errors import TranscriptInvalid

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(raw: bytes, name: str) -> tuple[str, str]:
    """The text of ``raw`` with newlines made ``\\n``, and the encoding read.

    A byte-order mark decides; otherwise UTF-8 when the bytes are valid UTF-8
    (most files), else charset-normalizer's best guess (GB2312, Windows-1252,
    Shift-JIS...).
    """
    text, encoding = _decode(raw, name)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace"), encoding
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    matches = from_bytes(raw)
    best = matches.best()
    if best is None:
        raise TranscriptInvalid(
            f"{name}: the bytes are not text in any encoding Steward recognises "
            "(is it a binary file?); save the transcript as UTF-8 text"
        )
    # Short Western texts often score the same in several code pages, and
    # charset-normalizer then picks the first; Windows-1252 is by far the
    # likeliest of them for a transcript, so it wins a tie.
    for match in matches:
        tie = (match.chaos, match.coherence) == (best.chaos, best.coherence)
        if tie and match.encoding == "cp1252":
            return str(match), match.encoding
    return str(best), best.encoding
