"""The lock policy as a form: one number per setting, with its meaning."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from safetool.services.configure import POLICY_FIELDS, policy_label
from safetool.tui.texts import said


class PolicyForm(Vertical):
    def __init__(self, values: dict[str, str], **kw: str) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.values = values

    def compose(self) -> ComposeResult:
        for name in POLICY_FIELDS:
            with Horizontal(classes="policy-row"):
                yield Label(said(policy_label(name)), classes="policy-label")
                yield Input(
                    self.values.get(name, ""),
                    type="integer",
                    id=f"policy-{name}",
                    classes="policy-value",
                )

    def typed(self) -> dict[str, str]:
        return {name: self.query_one(f"#policy-{name}", Input).value for name in POLICY_FIELDS}

    def on_input_changed(self, event: Input.Changed) -> None:
        self.values = self.typed()
