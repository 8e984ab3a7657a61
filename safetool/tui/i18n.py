"""The interface language: gettext catalogs, switchable while the app runs.

Every user-facing string goes through :func:`_` or :func:`ngettext` at the moment it is shown,
so switching language and re-rendering is enough. Strings that must exist before a language is
chosen (binding descriptions, screen titles) are marked with :func:`N_` and translated where
they are drawn.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from safetool import messages
from safetool.tui.pofile import compile_po

DOMAIN = "safetool"
LANGUAGES: dict[str, str] = messages.LANGUAGES
"""Language codes the app offers, each named in its own language."""
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: gettext.NullTranslations = gettext.NullTranslations()
_current_language = "en"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog for ``language``: a packaged ``.mo`` if a build made one, otherwise the
    ``.po`` compiled in memory (a few milliseconds). English is the source language."""
    if language == "en":
        return gettext.NullTranslations()
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    mo_path, po_path = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        data = mo_path.read_bytes()
    elif po_path.exists():
        data = compile_po(po_path)
    else:
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(data))


def pick_language(requested: str | None = None) -> str:
    """``--lang`` if given, else ``$SAFETOOL_LANG``, else the locale (``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``), else English: the same choice as the command line's."""
    return messages.pick_language(requested)


def set_language(language: str) -> None:
    global _current, _current_language
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r} (known: {', '.join(LANGUAGES)})")
    _current, _current_language = translations(language), language


def current_language() -> str:
    return _current_language


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _current.gettext(message) if message else message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of the message that suits ``count`` in the current language."""
    return _current.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where it is shown."""
    return message
