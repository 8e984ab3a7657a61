"""A footer that keeps the keys a technician needs in view at 80 columns.

Textual's footer cuts the last keys off when they do not fit, and the last ones are the app's
own (quit, the other language). This one hides the screen's least needed keys first, in the
order the screen names them (``FOOTER_DROP_FIRST``): they still work, and Help (F1) lists
them all."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

GAP = 1
"""Columns between two keys in the compact footer."""


class KeyFooter(Footer):
    def __init__(self, drop_first: tuple[str, ...] = ()) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self.drop_first = drop_first
        self._drawn: tuple[object, ...] | None = None
        """The keys the footer shows now, as :meth:`_keys_to_show` gave them."""

    async def recompose(self) -> None:
        """Draw the keys again when they changed. Textual asks after every change of focus or
        bindings; most leave the keys as they were, and mounting them anew costs a restyle of
        the whole footer each time."""
        wanted = self._keys_to_show()
        if wanted is not None and wanted == self._drawn:
            return
        await super().recompose()
        self._drawn = wanted
        self._fit()

    def _keys_to_show(self) -> tuple[object, ...] | None:
        """What the footer draws from: each shown binding (its key, label and group), whether it
        is enabled, and the key as shown (None before the screen's bindings are known)."""
        if not (self._bindings_ready and self.is_attached):
            return None
        return tuple(
            (binding, enabled, tooltip, self.app.get_key_display(binding))
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        keys = list(self.query(FooterKey))
        for key in keys:
            key.display = True
        room = self.size.width or self.app.size.width
        needed = sum(_width(key) for key in keys)
        for action in self.drop_first:
            if needed <= room:
                break
            for key in keys:
                if key.action == action and key.display:
                    key.display = False
                    needed -= _width(key)


def _width(key: FooterKey) -> int:
    """Columns a compact key takes: ``key description`` and the gap after it."""
    return cell_len(key.key_display) + 1 + cell_len(key.description) + GAP
