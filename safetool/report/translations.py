"""The report's words: the ``report.*`` keys of the message catalogue (safetool/messages), in
the language chosen for the customer, and the helpers the template words facts with."""

from __future__ import annotations

from typing import Any

from safetool.messages import (
    Message,
    Words,
    from_dict,
    language_code,
    local_time,
    placeholders,
    render,
)
from safetool.messages.catalogue import TEXTS
from safetool.services.audit import audit_kind_message, detail_words

LANGUAGES = ("en", "zh-CN")
"""The languages a report is written in, as ``safetool report --lang`` takes them."""


def report_language(language: str) -> str | None:
    """The catalogue's code for ``language`` (``zh-CN`` -> ``zh_CN``), None if unknown."""
    return language_code(language)


def translator(language: str) -> dict[str, str]:
    """Every ``report.*`` word in ``language`` (``t.title`` in the template)."""
    code = report_language(language)
    if code is None:
        raise ValueError(f"no report language {language!r}: {', '.join(LANGUAGES)}")
    return {
        key.removeprefix("report."): render(Message(key), code)
        for key, texts in TEXTS.items()
        if key.startswith("report.") and not placeholders(texts["en"])  # those: Wording's
    }


class Wording:
    """What the template asks to have worded: check titles and details, part descriptions,
    times (local time zone, with the offset), in the report's language."""

    def __init__(self, language: str, part_names: dict[str, Words]) -> None:
        self.language = report_language(language) or "en"
        self.part_names = part_names

    def when(self, moment: object) -> str:
        if isinstance(moment, str) and moment:
            return local_time(moment, self.language)
        return "" if moment is None else str(moment)

    def audit_kind(self, name: str) -> str:
        return render(audit_kind_message(name), self.language)

    def check_title(self, name: str) -> str:
        key = f"diag.check.{name}"
        return render(Message(key), self.language) if key in TEXTS else name

    def check_detail(self, check: dict[str, Any]) -> str:
        """The detail as the check said it: its value in words, the detail and the next step,
        worded from the codes kept with it; the English kept with it where it has none."""
        codes = check.get("codes") or {}
        said = [from_dict(codes.get(name)) for name in ("value", "detail", "next_step")]
        if not any(said):
            return str(check.get("detail") or "")
        return " — ".join(render(part, self.language) for part in said if part is not None)

    def words(self, value: Any) -> str:
        """Text kept in every language (``{"en": …, "zh_CN": …}``) in the report's language;
        plain text as it is."""
        coded = from_dict(value) if isinstance(value, dict) else None
        return render(coded, self.language) if coded is not None else str(value or "")

    def check_plain(self, check: dict[str, Any]) -> str:
        """What a check found, for the customer: its detail in words, without the reading or
        the next step (both are in the appendix)."""
        codes = check.get("codes") or {}
        detail = from_dict(codes.get("detail"))
        if detail is not None:
            return render(detail, self.language)
        return "" if codes else str(check.get("detail") or "")

    def firmware(self, firmware: dict[str, Any]) -> str:
        """Firmware before and after, in a sentence: changed (newer or older alike) or kept."""
        before, after = firmware.get("before") or "", firmware.get("after") or ""
        none = render(Message("report.none"), self.language)
        if after and after != before:
            said = Message("report.firmware_changed", {"before": before or none, "after": after})
        else:
            said = Message("report.firmware_kept", {"version": before or none})
        return render(said, self.language)

    def recovery(self, recovery: dict[str, Any]) -> str:
        """A lockout recovery in one line: its number (the lock's, the one reference), how the
        service centre authorised it, and the close seal."""
        method = str(recovery.get("method") or "")
        how = f"report.method.{method}"
        said = Message(
            "report.recovery_line",
            {
                "counter": recovery.get("counter"),
                "method": Message(how) if how in TEXTS else method,
                "seal": recovery.get("seal") or render(Message("report.none"), self.language),
            },
        )
        return render(said, self.language)

    def finding(self, finding: dict[str, Any]) -> str:
        """An audit finding, from its code when it was kept; else its text."""
        coded = from_dict(finding.get("code"))
        return render(coded, self.language) if coded is not None else str(finding.get("message"))

    def audit_detail(self, detail: Any) -> str:
        """An audit entry's fields, each named and worded (``technician: T-1001``)."""
        if not isinstance(detail, dict):
            return str(detail or "")
        return "; ".join(render(item, self.language) for item in detail_words(detail))

    def part_description(self, part: dict[str, Any]) -> str:
        """A genuine part's name in the report's language when the visit named it as the
        model data does; a description typed by the technician as typed."""
        words = self.part_names.get(str(part.get("part_number")))
        description = str(part.get("description") or "")
        if words is not None and description in (*words.texts.values(), ""):
            return words.in_language(self.language)
        return description
