"""Persistent board state in a directory: what a real board keeps in flash or EEPROM.

Every commit writes a new file and renames it over the old one after an fsync, so a power cut
at any instant leaves either the old state or the new one, never a torn mix. Each commit is one
operation of the board's flash (:attr:`StateStore.power_cut_hook`), so the power-cut fault can
fail it: the commit is then not made at all.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.flash import PowerCut

STATE_FILE = "board-state.json"


class StateStore:
    def __init__(self, directory: Path | None) -> None:
        """``directory`` of ``None`` keeps state in memory only (it dies with the process)."""
        self.directory = directory
        self._memory: dict[str, Any] | None = None
        self.commits = 0
        self.power_cut_hook: Callable[[], bool] | None = None
        """Counts the commit as a flash operation; ``True`` if power fails during it."""
        if directory is not None:
            if directory.exists() and not directory.is_dir():
                raise ValueError(f"{directory} is a file: the board's state needs a folder")
            directory.mkdir(parents=True, exist_ok=True)

    @property
    def path(self) -> Path | None:
        return None if self.directory is None else self.directory / STATE_FILE

    def load(self) -> dict[str, Any] | None:
        """The last committed state, or ``None`` for a factory-fresh board."""
        if self.path is None:
            return None if self._memory is None else json.loads(json.dumps(self._memory))
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, OSError) as error:
            raise ValueError(f"the board's state file {self.path} is damaged: {error}") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"the board's state file {self.path} is not a JSON object")
        return loaded

    def commit(self, state: dict[str, Any]) -> None:
        if self.power_cut_hook is not None and self.power_cut_hook():
            raise PowerCut("power cut while committing the lock's state")
        self.commits += 1
        if self.path is None:
            self._memory = json.loads(json.dumps(state))
            return
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
