"""Rendering a visit (the document of :meth:`ServiceRecord.visit`) as HTML or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from safetool.errors import SafetoolError
from safetool.messages import Message, Words
from safetool.messages.shown import visible
from safetool.report.translations import LANGUAGES, Wording, report_language, translator
from safetool.report_signature import SCRIPT_ID, embedded_json, sign_report
from safetool.services.diagnostics.model_data import ModelDataError, load_model_data

if TYPE_CHECKING:
    from safetool.identity import TechnicianIdentity

_ENVIRONMENT = Environment(
    loader=PackageLoader("safetool.report", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=lambda value: (
        visible(value) if isinstance(value, str) and not isinstance(value, Markup) else value
    ),
)
"""Every value the template prints passes :func:`visible`: a lock's serial or a technician's
note can carry no control or bidi character into the customer's report."""


SERVICE_CENTRE_FILE = "service_centre.json"
"""Written with a technician's certificate (``safetool dev-pki init`` for the demo)."""


def render_html(
    visit: dict[str, Any],
    language: str = "en",
    centre: dict[str, Any] | None = None,
    identity: TechnicianIdentity | None = None,
) -> str:
    """The customer's report. ``centre`` (``{"name": {"en": …, "zh_CN": …}, "hotline": …}``,
    from :func:`service_centre`) heads it with the service centre's name and hotline; with the
    technician's ``identity`` the report carries its facts signed by the technician's key, and
    the verification code that shows it (``safetool authority verify-report``)."""
    if report_language(language) is None:
        raise SafetoolError(
            Message("report_language.unknown", {"language": language}),
            next_step=Message("report_language.unknown.next", {"languages": ", ".join(LANGUAGES)}),
        )
    template = _ENVIRONMENT.get_template("report.html.j2")
    wording = Wording(language, _part_names(str(visit.get("lock", {}).get("model") or "")))
    html_lang = "zh-CN" if wording.language == "zh_CN" else wording.language
    signed = sign_report(visit, identity) if identity is not None else None
    return template.render(
        visit=visit,
        t=translator(language),
        lang=html_lang,
        w=wording,
        centre=centre,
        signed=signed,
        signed_json=Markup(embedded_json(signed)) if signed is not None else "",
        script_id=SCRIPT_ID,
    )


def service_centre(identity_folder: Path | None) -> dict[str, Any] | None:
    """The service centre a technician works for, as their identity folder's
    ``service_centre.json`` names it (name in each language, hotline); None without one."""
    if identity_folder is None:
        return None
    try:
        centre = json.loads((identity_folder / SERVICE_CENTRE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(centre, dict) or not isinstance(centre.get("hotline"), str):
        return None
    name = centre.get("name")
    if not (isinstance(name, dict) and isinstance(name.get("en"), str)):
        return None
    return {"name": name, "hotline": centre["hotline"]}


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
