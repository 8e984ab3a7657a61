"""The command line's own words (help, descriptions, argparse's usage and errors) in the
reader's language, chosen once before the parser is built (``--lang``, ``$SAFETOOL_LANG``,
the locale). Help texts are catalogue keys (``cli.help.*``), rendered by :func:`h`."""

from __future__ import annotations

import argparse
import gettext
import os
from collections.abc import Sequence
from typing import Any

_language = "en"

ARGPARSE_WORDS = {
    # argparse's own msgids (its gettext domain) -> our catalogue's keys
    "usage: ": "cli.argparse.usage",
    "positional arguments": "cli.argparse.positional",
    "options": "cli.argparse.options",
    "show this help message and exit": "cli.argparse.help",
    "show program's version number and exit": "cli.argparse.version",
    "%(prog)s: error: %(message)s\n": "cli.argparse.error",
    "the following arguments are required: %s": "cli.argparse.required",
    "unrecognized arguments: %s": "cli.argparse.unrecognized",
    "invalid choice: %(value)r (choose from %(choices)s)": "cli.argparse.invalid_choice",
    "invalid %(type)s value: %(value)r": "cli.argparse.invalid_value",
    "argument %(argument_name)s: %(message)s": "cli.argparse.argument",
    "expected one argument": "cli.argparse.expected_one",
    "expected at least one argument": "cli.argparse.expected_some",
    "expected at most one argument": "cli.argparse.expected_at_most_one",
    "not allowed with argument %s": "cli.argparse.not_allowed_with",
    "one of the arguments %s is required": "cli.argparse.one_required",
    "ambiguous option: %(option)s could match %(matches)s": "cli.argparse.ambiguous",
}
"""argparse words its usage and errors through gettext, keyed by its English msgids, as any
gettext domain is; these are the msgids a technician meets, each worded in our catalogue."""


def wanted_language(argv: Sequence[str]) -> str:
    """The reader's language from ``--lang X`` / ``--lang=X`` in ``argv``, else the
    environment; decided without loading the catalogue when it is English."""
    for position, word in enumerate(argv):
        if word == "--lang" and position + 1 < len(argv):
            return _code(argv[position + 1])
        if word.startswith("--lang="):
            return _code(word.split("=", 1)[1])
    for name in ("SAFETOOL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return _code(value)
    return "en"


def _code(text: str) -> str:
    return "zh_CN" if text.lower().replace("-", "_").startswith("zh") else "en"


def use_language(language: str) -> None:
    """Word help texts and argparse's own words in ``language`` from now on."""
    global _language
    _language = language
    if language == "en":
        argparse._ = gettext.gettext  # type: ignore[attr-defined]
    else:
        argparse._ = _argparse_word  # type: ignore[attr-defined]


def language() -> str:
    return _language


def h(key: str, **values: Any) -> str:
    """A help text (``cli.help.*``) in the reader's language, safe for argparse's
    ``%``-formatting."""
    from safetool.messages import Message, render

    return render(Message(key, values), _language).replace("%", "%%")


def _argparse_word(msgid: str) -> str:
    key = ARGPARSE_WORDS.get(msgid)
    if key is None:
        return msgid
    from safetool.messages.catalogue import TEXTS

    return TEXTS[key].get(_language) or msgid
