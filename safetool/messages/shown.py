"""Text from outside shown safely: control and bidi characters made visible.

Anything a lock (or a file) supplies — IDENTIFY strings, ERROR details, names in a certificate —
reaches a terminal, the app or a report. Raw, a ``\\x1b[2J`` clears the technician's screen, a
``\\r`` prints a fake line over a real one, a right-to-left override reverses what is read. So
every such string is shown through :func:`visible`: C0 controls as their Unicode control
pictures (``␛``, ``␍``), DEL as ``␡``, C1 controls and the bidi and invisible format characters
as ``\\u202e``-style escapes. Printable text, Chinese included, is unchanged.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}


def _shown(char: str) -> str:
    code = ord(char)
    picture = _PICTURES.get(code)
    if picture is not None:
        return picture
    if 0x80 <= code <= 0x9F or unicodedata.category(char) in ("Cf", "Cs", "Co", "Cn"):
        return f"\\u{code:04x}"
    return char


def visible(text: str) -> str:
    """``text`` with every control, format (bidi) or unassigned character made visible."""
    if text.isprintable():  # the common case, Chinese included: nothing to do
        return text
    return "".join(_shown(char) for char in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # JSON writes it as a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(document: object, **options: Any) -> str:
    """``document`` as JSON, its values exact (a JSON reader gets them back unchanged) but every
    character a terminal would act on — C1 controls, bidi overrides, invisible format
    characters — written as a ``\\u`` escape; Chinese stays readable. JSON already escapes the
    C0 controls inside strings, so a raw newline can only be the layout's own."""
    text = json.dumps(document, ensure_ascii=False, **options)
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or char == "\n" else _json_escape(char) for char in text
    )
