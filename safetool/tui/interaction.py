"""The diagnostics service's :class:`~safetool.services.diagnostics.Interaction` in the app:
questions and the keypad test as dialogs over the current screen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from safetool.tui.diag_texts import question_text
from safetool.tui.screens.confirm import ConfirmDialog
from safetool.tui.screens.keypad import KeypadDialog

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import ModalScreen

    from safetool.tui.backend import LockLink


class DialogInteraction:
    """Asks in a dialog and waits for the answer; a cancelled run closes its dialog."""

    def __init__(self, app: App[Any], link: LockLink) -> None:
        self.app = app
        self.link = link

    async def _ask(
        self,
        dialog: ModalScreen[Any],
        shown: Callable[[], Awaitable[None]] | None = None,
    ) -> Any:
        answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def settle(result: Any) -> None:
            if not answered.done():
                answered.set_result(result)

        await self.app.push_screen(dialog, callback=settle)
        try:
            if shown is not None:
                await shown()
            return await answered
        finally:
            if self.app.screen is dialog:
                dialog.dismiss(None)

    async def confirm(self, question: str) -> bool | None:
        answer: bool | None = await self._ask(ConfirmDialog(question_text(question)))
        return answer

    async def press_every_key(self, started: Callable[[], Awaitable[None]]) -> None:
        await self._ask(KeypadDialog(self.link), shown=started)
