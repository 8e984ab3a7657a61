"""Compile a gettext ``.po`` file to ``.mo`` bytes, in memory, with the standard library only.

The subset of the PO format that Babel and xgettext write: ``msgctxt``, ``msgid``,
``msgid_plural``, ``msgstr`` / ``msgstr[N]``, multi-line strings, comments, the ``#, fuzzy``
flag (fuzzy entries are left out, as ``msgfmt`` does). The output is the GNU ``.mo`` layout
that :class:`gettext.GNUTranslations` reads.
"""

from __future__ import annotations

import ast
import struct
from pathlib import Path


class PoSyntaxError(ValueError):
    """The ``.po`` file is not in the format this reader understands."""


def read_po(text: str) -> dict[bytes, bytes]:
    """``.po`` source → ``{msgid: msgstr}`` in ``.mo`` key form (context and plurals joined
    with ``\\x04`` and ``\\x00``). Untranslated and fuzzy entries are left out."""
    catalog: dict[bytes, bytes] = {}
    entry: dict[str, list[str]] = {}
    field = ""
    fuzzy = False

    def finish() -> None:
        nonlocal entry, fuzzy
        if "msgid" in entry:
            msgid = "".join(entry["msgid"])
            if "msgid_plural" in entry:
                msgid += "\0" + "".join(entry["msgid_plural"])
            if "msgctxt" in entry:
                msgid = "".join(entry["msgctxt"]) + "\x04" + msgid
            forms = sorted(k for k in entry if k.startswith("msgstr"))
            msgstr = "\0".join("".join(entry[k]) for k in forms)
            if msgstr.strip("\0") and (not fuzzy or msgid == ""):
                catalog[msgid.encode()] = msgstr.encode()
        entry, fuzzy = {}, False

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            if "msgid" in entry:
                finish()
            fuzzy = True
            continue
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if not field:
                raise PoSyntaxError(f"line {number}: a string outside any entry")
            entry[field].append(_unquote(line, number))
            continue
        if keyword in ("msgctxt", "msgid") and (
            "msgstr" in entry or any(k.startswith("msgstr[") for k in entry)
        ):
            finish()
        if keyword not in ("msgctxt", "msgid", "msgid_plural") and not keyword.startswith("msgstr"):
            raise PoSyntaxError(f"line {number}: unknown keyword {keyword!r}")
        field = "msgstr[0]" if keyword == "msgstr" else keyword
        entry[field] = [_unquote(rest.strip(), number)]
    finish()
    return catalog


def _unquote(quoted: str, number: int) -> str:
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise PoSyntaxError(f"line {number}: expected a quoted string")
    try:
        value = ast.literal_eval(quoted)
    except (ValueError, SyntaxError) as error:
        raise PoSyntaxError(f"line {number}: {error}") from None
    assert isinstance(value, str)
    return value


def write_mo(catalog: dict[bytes, bytes]) -> bytes:
    """The GNU ``.mo`` layout: header, two offset tables, then the strings (keys sorted)."""
    keys = sorted(catalog)
    ids = strs = b""
    offsets: list[tuple[int, int, int, int]] = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(catalog[key])))
        ids += key + b"\0"
        strs += catalog[key] + b"\0"
    header_size = 7 * 4
    ids_start = header_size + 16 * len(keys)
    strs_start = ids_start + len(ids)
    key_table: list[int] = []
    value_table: list[int] = []
    for id_offset, id_length, str_offset, str_length in offsets:
        key_table += [id_length, ids_start + id_offset]
        value_table += [str_length, strs_start + str_offset]
    header = struct.pack(
        "<7I", 0x950412DE, 0, len(keys), header_size, header_size + 8 * len(keys), 0, 0
    )
    tables = struct.pack(f"<{len(key_table)}I", *key_table)
    tables += struct.pack(f"<{len(value_table)}I", *value_table)
    return header + tables + ids + strs


def compile_po(path: Path) -> bytes:
    return write_mo(read_po(path.read_text(encoding="utf-8")))
