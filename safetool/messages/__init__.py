"""Every sentence a person sees, as data: a stable key and its values, worded per language.

Services build :class:`Message` objects; front ends (CLI, app, report) render them in the
reader's language with :func:`render`; ``--json`` carries the key, the values and the English
text (:func:`as_dict`). The texts live once, in :mod:`safetool.messages.catalogue`. This
package imports nothing else of safetool, so every layer may use it.

To add a message: add its key with an ``en`` and a ``zh_CN`` text to the catalogue (the two
must use the same ``{placeholders}``; ``tests/unit/test_messages.py`` checks). To add a language:
add its code to :data:`LANGUAGES` and a text for every key.
"""

from __future__ import annotations

import errno
import locale
import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from safetool.messages.catalogue import TEXTS
from safetool.messages.shown import visible

LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}
"""Language codes, each named in its own language. English is the fallback."""


@dataclass(frozen=True, slots=True)
class Message:
    """A sentence as data: ``key`` names it in the catalogue, ``params`` fill its placeholders.

    A parameter may itself be a :class:`Message` (a refusal reason inside an event, say); it is
    rendered in the same language."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:  # English, for logs and exceptions' str()
        return render(self, "en")


@dataclass(frozen=True, slots=True)
class Words:
    """Text that comes as data in every language (a part's name in a model file), not from
    the catalogue. ``str()`` is the English."""

    texts: Mapping[str, str]

    def __str__(self) -> str:
        return self.texts["en"]

    def in_language(self, language: str) -> str:
        return self.texts.get(language) or self.texts["en"]


def language_code(text: str | None) -> str | None:
    """``zh-CN``, ``zh_CN.UTF-8``, ``zh`` -> ``zh_CN``; ``en_GB`` -> ``en``; else None."""
    if not text:
        return None
    code = text.split(".")[0].split("@")[0].replace("-", "_")
    if code in LANGUAGES:
        return code
    if code.lower().startswith("zh"):
        return "zh_CN"
    if code.lower().startswith("en") or code in ("C", "POSIX"):
        return "en"
    return None


def pick_language(requested: str | None = None) -> str:
    """The reader's language: ``requested`` (``--lang``), else ``SAFETOOL_LANG``, else the
    locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English. An unknown ``requested``
    language is an error; an unknown locale is not."""
    if requested:
        code = language_code(requested)
        if code is None:
            known = ", ".join(LANGUAGES)
            raise ValueError(f"unknown language {requested!r} (known: {known})")
        return code
    candidates = [os.environ.get(name) for name in ("SAFETOOL_LANG", "LC_ALL", "LC_MESSAGES")]
    candidates += [os.environ.get("LANG"), locale.getlocale()[0]]
    for candidate in candidates:
        code = language_code(candidate)
        if code is not None:
            return code
    return "en"


def render(message: Message | Words | str, language: str = "en") -> str:
    """``message`` worded in ``language`` (English where the catalogue lacks it). A plain
    string passes through: it is a name, a serial or a text from outside the catalogue.
    A list value is worded item by item and joined the reader's way."""
    if isinstance(message, str):
        return visible(message)
    if isinstance(message, Words):
        return message.in_language(language)
    texts = TEXTS.get(message.key)
    if texts is None:  # never in a release (the catalogue test); say what we have
        shown = ", ".join(f"{name}={value}" for name, value in message.params.items())
        return f"{message.key}({shown})"
    template = texts.get(language) or texts["en"]
    values = {name: _value(value, language) for name, value in message.params.items()}
    return template.format(**values)


def _value(value: Any, language: str) -> Any:
    if isinstance(value, Message | Words):
        return render(value, language)
    if isinstance(value, list | tuple):
        separator = TEXTS["list.separator"].get(language, ", ")
        return separator.join(str(_value(item, language)) for item in value)
    if isinstance(value, str):
        return visible(value)  # a serial, a detail from a lock: never raw control characters
    if isinstance(value, datetime):
        return local_time(value, language)
    return value


def from_dict(document: Any) -> Message | Words | None:
    """The inverse of :func:`as_dict` (and of a :class:`Words`' texts), for coded words kept
    in a file or a database; None for anything else."""
    if isinstance(document, dict) and isinstance(document.get("code"), str):
        params = document.get("params")
        return Message(
            document["code"],
            {
                name: _param(value)
                for name, value in (params.items() if isinstance(params, dict) else ())
            },
        )
    if (
        isinstance(document, dict)
        and "en" in document
        and set(document) <= set(LANGUAGES)
        and all(isinstance(text, str) for text in document.values())
    ):
        return Words(dict(document))
    return None


def received(document: Any) -> Message | None:
    """A coded message from another program (an error body over HTTP): only a key this
    catalogue knows, with the values every language's text needs; None for anything else, so
    the sender's plain text is shown instead."""
    message = from_dict(document)
    if not isinstance(message, Message) or message.key not in TEXTS:
        return None
    try:
        for language in LANGUAGES:
            render(message, language)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return None
    return message


def _param(value: Any) -> Any:
    if isinstance(value, list):
        return [_param(item) for item in value]
    return from_dict(value) or value


def local_time(moment: str | datetime, language: str, zone: tzinfo | None = None) -> str:
    """A UTC time (ISO text or datetime) in the reader's local time zone (or ``zone``),
    written the reader's way, with its offset: ``2026-12-03 17:53 (UTC+08:00)`` or
    ``2026年12月3日 17:53（UTC+08:00）``. Text that is not a time passes through."""
    if isinstance(moment, str):
        text = moment
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    offset = local.strftime("%z") or "+0000"
    utc = f"UTC{offset[0]}{offset[1:3]}:{offset[3:5]}"
    if language == "zh_CN":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（{utc}）"
    return f"{local:%Y-%m-%d %H:%M} ({utc})"


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a template fills."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def as_dict(message: Message) -> dict[str, Any]:
    """For JSON: the key, the values (nested messages as their keys and values) and the
    English text, so scripts can rely on the code and still show something."""
    return {
        "code": message.key,
        "params": {name: _plain(value) for name, value in message.params.items()},
        "text": render(message, "en"),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Message):
        return as_dict(value)
    if isinstance(value, Words):
        return dict(value.texts)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


__all__ = [
    "LANGUAGES",
    "Message",
    "Words",
    "as_dict",
    "from_dict",
    "language_code",
    "local_time",
    "pick_language",
    "received",
    "render",
]


_OS_ERRORS = {
    errno.ENOENT: "os.no_such_file",
    errno.EACCES: "os.permission_denied",
    errno.EPERM: "os.permission_denied",
    errno.EISDIR: "os.is_a_folder",
    errno.ENOTDIR: "os.not_a_folder",
    errno.ENOSPC: "os.disk_full",
    errno.EROFS: "os.read_only",
}


def os_error_message(error: OSError) -> Message:
    """Why the system refused a file operation, worded per language (the system's own
    English text is kept for errors without words of ours)."""
    key = _OS_ERRORS.get(error.errno or 0)
    if key is not None:
        return Message(key)
    return Message("os.other", {"text": error.strerror or str(error)})


def render_list(items: list[Any], language: str = "en") -> str:
    """Items (messages or text) worded and joined the reader's way (``a, b`` / ``a，b``)."""
    return str(_value(list(items), language))
