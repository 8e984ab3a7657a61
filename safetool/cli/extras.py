"""Which optional part of safetool a missing module belongs to, and what to install for it.

The base install is the technician's tool; the service authority, the emulated BLE radio, the
HIL suite and image building are extras (pyproject.toml). A command that needs a missing extra
says which one, instead of an ImportError."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the catalogue loads only when an extra is missing
    from safetool.messages import Message

# top-level module -> the extra that brings it
EXTRA_OF_MODULE = {
    "starlette": "authority",
    "uvicorn": "authority",
    "sqlalchemy": "authority",
    "alembic": "authority",
    "psycopg": "authority",
    "bumble": "emulator",
    "pytest": "hil",
    "xdist": "hil",
    "imgtool": "build",
}


# What the single-file safetool leaves out besides the extras (packaging/build_onefile.py):
# module -> its name in the catalogue (``extras.part.<name>``).
LEFT_OUT_OF_ONE_FILE = {"firmware": "emulator", "hil": "hil"}


def missing_extra_message(error: ModuleNotFoundError) -> Message | None:
    """What to tell the user when ``error`` is a module of an extra that is not installed;
    None when the missing module is not one of ours to explain (then it is a bug)."""
    module = (error.name or "").split(".")[0]
    frozen = getattr(sys, "frozen", False)
    extra = EXTRA_OF_MODULE.get(module)
    if not (frozen and module in LEFT_OUT_OF_ONE_FILE) and extra is None:
        return None
    from safetool.messages import Message

    if frozen and module in LEFT_OUT_OF_ONE_FILE:
        part = Message(f"extras.part.{LEFT_OUT_OF_ONE_FILE[module]}")
        return Message("extras.not_in_one_file", {"part": part})
    if frozen:
        return Message("extras.one_file_needs", {"extra": extra, "module": module})
    return Message("extras.needs", {"extra": extra, "module": module})
