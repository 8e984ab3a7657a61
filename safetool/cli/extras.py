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


# What the single-file safetool leaves out besides the extras (packaging/build_onefile.py).
LEFT_OUT_OF_ONE_FILE = {
    "firmware": "the emulated lock (emulate, demo)",
    "hil": "the HIL suite",
}


def missing_extra_message(error: ModuleNotFoundError) -> str | None:
    """What to tell the user when ``error`` is a module of an extra that is not installed;
    None when the missing module is not one of ours to explain (then it is a bug)."""
    module = (error.name or "").split(".")[0]
    frozen = getattr(sys, "frozen", False)
    if frozen and module in LEFT_OUT_OF_ONE_FILE:
        return (
            f"the single-file safetool does not include {LEFT_OUT_OF_ONE_FILE[module]}. "
            "Install safetool with pip for it: pip install safetool"
        )
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    if frozen:
        return (
            f"this needs safetool's '{extra}' part ({module}), which the single-file safetool "
            f"does not include. Install it with pip: pip install 'safetool[{extra}]'"
        )
    return (
        f"this needs safetool's '{extra}' extra ({module} is not installed). "
        f"Install it with: pip install 'safetool[{extra}]'"
    )
