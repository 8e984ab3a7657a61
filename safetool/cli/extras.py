"""Which optional part of safetool a missing module belongs to, and what to install for it.

The base install is the technician's tool; the service authority, the emulated BLE radio, the
HIL suite and image building are extras (pyproject.toml). A command that needs a missing extra
says which one, instead of an ImportError."""

from __future__ import annotations

import sys

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


def missing_extra_message(error: ModuleNotFoundError) -> str | None:
    """What to tell the user when ``error`` is a module of an extra that is not installed;
    None when the missing module is not one of ours to explain (then it is a bug)."""
    module = (error.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    if getattr(sys, "frozen", False):
        return (
            f"this needs safetool's '{extra}' part ({module}), which the single-file safetool "
            f"does not include. Install it with pip: pip install 'safetool[{extra}]'"
        )
    return (
        f"this needs safetool's '{extra}' extra ({module} is not installed). "
        f"Install it with: pip install 'safetool[{extra}]'"
    )
