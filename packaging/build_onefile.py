"""Build the single-file ``safetool`` (the technician's tool) with PyInstaller.

Run it with the Python of an environment that holds the base install and PyInstaller, and
nothing else (so no extra slips into the file)::

    python -m venv build-env
    build-env/bin/pip install dist/safetool-*.whl pyinstaller     # Windows: build-env\\Scripts\\
    build-env/bin/python packaging/build_onefile.py                # -> dist-onefile/safetool

The same script builds on Linux, Windows (``safetool.exe``) and macOS; docs/onefile.md has the
steps for each, with code-signing. The command modules are loaded lazily by name
(``safetool.cli.main``), so they are named here for PyInstaller; the app's styles, the message
catalogues, the lock models and the report template are collected as data.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENTRY = HERE / "onefile_entry.py"

# What the single file leaves out: the extras, the emulated board and the test tools. The
# authority's modules stay (they are small): their commands then name the missing extra.
LEFT_OUT = (
    "firmware",
    "hil",
    "safetool.transport.ble_backend_bumble",
    "sqlalchemy",
    "starlette",
    "uvicorn",
    "alembic",
    "psycopg",
    "bumble",
    "imgtool",
    "pytest",
    "tkinter",
)


def hidden_imports() -> list[str]:
    """Every module of safetool and protocols (the CLI loads its commands by name) and
    pyserial's URL handlers (``socket://``, ``rfc2217://``), less what is left out."""
    import pkgutil

    import serial.urlhandler

    import protocols
    import safetool

    found = ["serial.urlhandler"]
    for package in (safetool, protocols, serial.urlhandler):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.startswith(LEFT_OUT) and ".migrations" not in module.name:
                found.append(module.name)
    return found


def pyinstaller_arguments(dist: Path, work: Path) -> list[str]:
    arguments = [
        str(ENTRY),
        "--onefile",
        "--console",
        "--name",
        "safetool",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--specpath",
        str(work),
        "--noconfirm",
        "--log-level",
        "WARN",
        "--collect-data",
        "safetool",
        "--collect-data",
        "textual",
    ]
    if sys.platform != "win32":
        # Debug symbols out of libpython and the extension modules: a smaller file to unpack at
        # every start (Linux: 33 MB -> see README).
        arguments.append("--strip")
    for module in hidden_imports():
        arguments += ["--hidden-import", module]
    for module in LEFT_OUT:
        arguments += ["--exclude-module", module]
    return arguments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path("dist-onefile"))
    parser.add_argument("--work", type=Path, default=Path("build-onefile"))
    args, pyinstaller_extra = parser.parse_known_args()  # e.g. --target-arch universal2
    for needed in ("PyInstaller", "safetool"):
        if importlib.util.find_spec(needed) is None:
            sys.exit(f"build_onefile: {needed} is not installed in {sys.prefix} (see --help)")
    for extra in ("sqlalchemy", "starlette", "bumble", "imgtool", "pytest"):
        if importlib.util.find_spec(extra) is not None:
            sys.exit(
                f"build_onefile: {extra} is installed in {sys.prefix}; build from an "
                "environment with only the base install and PyInstaller"
            )
    import PyInstaller.__main__

    arguments = pyinstaller_arguments(args.dist.resolve(), args.work.resolve())
    PyInstaller.__main__.run([*arguments, *pyinstaller_extra])
    name = "safetool.exe" if sys.platform == "win32" else "safetool"
    built = args.dist / name
    print(f"built {built} ({built.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
