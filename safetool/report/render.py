"""Rendering a visit (the document of :meth:`ServiceRecord.visit`) as HTML or JSON."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from safetool.errors import SafetoolError
from safetool.report.translations import LANGUAGES, translator

_ENVIRONMENT = Environment(
    loader=PackageLoader("safetool.report", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(visit: dict[str, Any], language: str = "en") -> str:
    if language not in LANGUAGES:
        raise SafetoolError(
            f"No report language {language!r}.", next_step=f"Use one of: {', '.join(LANGUAGES)}."
        )
    template = _ENVIRONMENT.get_template("report.html.j2")
    return template.render(visit=visit, t=translator(language), lang=language)


def render_json(visit: dict[str, Any]) -> str:
    return json.dumps(visit, ensure_ascii=False, indent=2)
