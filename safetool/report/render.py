"""Rendering a visit (the document of :meth:`ServiceRecord.visit`) as HTML or JSON."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from safetool.errors import SafetoolError
from safetool.messages import Message, Words
from safetool.messages.shown import visible
from safetool.report.translations import LANGUAGES, Wording, report_language, translator
from safetool.services.diagnostics.model_data import ModelDataError, load_model_data

_ENVIRONMENT = Environment(
    loader=PackageLoader("safetool.report", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=lambda value: visible(value) if isinstance(value, str) else value,
)
"""Every value the template prints passes :func:`visible`: a lock's serial or a technician's
note can carry no control or bidi character into the customer's report."""


def render_html(visit: dict[str, Any], language: str = "en") -> str:
    if report_language(language) is None:
        raise SafetoolError(
            Message("report_language.unknown", {"language": language}),
            next_step=Message("report_language.unknown.next", {"languages": ", ".join(LANGUAGES)}),
        )
    template = _ENVIRONMENT.get_template("report.html.j2")
    wording = Wording(language, _part_names(str(visit.get("lock", {}).get("model") or "")))
    html_lang = "zh-CN" if wording.language == "zh_CN" else wording.language
    return template.render(visit=visit, t=translator(language), lang=html_lang, w=wording)


def _part_names(model: str) -> dict[str, Words]:
    """Part number -> its name in every language, from the lock model's data (none when the
    model has no data file: the report then shows the descriptions as kept)."""
    try:
        data = load_model_data(model) if model else None
    except ModelDataError:
        return {}
    return {part.number: part.name for part in data.parts.values()} if data else {}


def render_json(visit: dict[str, Any]) -> str:
    return json.dumps(visit, ensure_ascii=False, indent=2)
