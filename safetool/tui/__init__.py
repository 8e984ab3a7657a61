"""The technician's app (Textual): connect, dashboard, recover, lock policy; English and
Simplified Chinese. See docs/tui.md."""

from __future__ import annotations

from safetool.tui.run import run_tui

__all__ = ["run_tui"]
