"""The ports this laptop connected to last, newest first, in a small JSON file in the user's
config folder (``~/.config/safetool/recent_ports.json`` on Linux)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from platformdirs import user_config_dir

KEEP = 5
ENV_VAR = "SAFETOOL_CONFIG_DIR"


def default_path() -> Path:
    folder = os.environ.get(ENV_VAR) or user_config_dir("safetool", appauthor=False)
    return Path(folder) / "recent_ports.json"


class RecentPorts:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def load(self) -> list[str]:
        """The remembered ports; a missing or damaged file is an empty list, never an error."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        ports = data.get("ports", []) if isinstance(data, dict) else []
        return [p for p in ports if isinstance(p, str) and p][:KEEP]

    def remember(self, port: str) -> list[str]:
        ports = [port, *(p for p in self.load() if p != port)][:KEEP]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"ports": ports}, indent=1), encoding="utf-8")
        except OSError:
            pass  # a read-only home must not stop a visit
        return ports
