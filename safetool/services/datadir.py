"""Where safetool keeps what it stores on this laptop (audit copies, the service record)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "SAFETOOL_DATA_DIR"


def data_dir() -> Path:
    """``$SAFETOOL_DATA_DIR``, or the user data folder (Linux: ~/.local/share/safetool)."""
    chosen = os.environ.get(DATA_DIR_ENV)
    return Path(chosen) if chosen else Path(platformdirs.user_data_dir("safetool"))
