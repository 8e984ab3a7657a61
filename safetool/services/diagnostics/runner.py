"""Running checks in order, reporting each as it finishes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from safetool.client import LockClient
from safetool.client.secure import open_session
from safetool.errors import SafetoolError
from safetool.identity import TechnicianIdentity
from safetool.messages import Message
from safetool.services.diagnostics.checks import CHECKS, CheckContext, CheckResult, Verdict
from safetool.services.diagnostics.model_data import ModelData, load_model_data
from safetool.services.diagnostics.readings import Interaction, Readings


@dataclass(slots=True)
class DiagnosticReport:
    serial: str
    model: str
    results: list[CheckResult]

    @property
    def worst(self) -> Verdict:
        order = [Verdict.PASS, Verdict.COULD_NOT_RUN, Verdict.WARN, Verdict.FAIL]
        return max((r.verdict for r in self.results), key=order.index, default=Verdict.PASS)

    @property
    def all_passed(self) -> bool:
        return all(r.verdict in (Verdict.PASS, Verdict.COULD_NOT_RUN) for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "model": self.model,
            "worst": self.worst.value,
            "checks": [r.as_dict() for r in self.results],
        }


def select_checks(names: list[str] | None) -> list[str]:
    if not names:
        return list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise SafetoolError(
            Message("diag.no_such_check", {"names": unknown}),
            next_step=Message("diag.no_such_check.next", {"checks": list(CHECKS)}),
        )
    return names


async def run_diagnostics(
    client: LockClient,
    identity: TechnicianIdentity,
    *,
    checks: list[str] | None = None,
    interaction: Interaction | None = None,
    model_data: ModelData | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> DiagnosticReport:
    names = select_checks(checks)
    info = await client.identify()
    model = model_data or load_model_data(info.model)
    await open_session(client, identity)
    context = CheckContext(Readings(client, interaction), model)
    results = []
    for name in names:
        result = await CHECKS[name](context)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return DiagnosticReport(info.serial, info.model, results)
