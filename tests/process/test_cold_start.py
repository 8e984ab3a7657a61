"""Cold start: each command imports only what it uses (the lazy command table in
``safetool.cli.main``), and a command whose extra is missing says which extra to install."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import textwrap

import pytest

from firmware.process import EmulatorProcess
from safetool.cli.extras import EXTRA_OF_MODULE, missing_extra_message
from safetool.cli.main import COMMANDS, build_parser

# What `safetool status` must never load: the authority's server stack, the app, the emulated
# board and its radio, report rendering, image building, the test tools.
NOT_FOR_STATUS = (
    "sqlalchemy",
    "starlette",
    "uvicorn",
    "alembic",
    "psycopg",
    "httpx",
    "textual",
    "rich",
    "bumble",
    "jinja2",
    "imgtool",
    "pytest",
    "firmware",
    "hil",
    "cryptography",  # no secure session on this path
    "protocols.certificates",
    "protocols.trust_messages",
    "protocols.diag_messages",
    "protocols.audit_messages",
    "protocols.firmware_messages",
    "safetool.authority",
    "safetool.tui",
    "safetool.report",
)

# Runs `safetool` in this process, then prints the modules it loaded after its own output.
PROBE = textwrap.dedent(
    """
    import json, sys
    from safetool.cli.main import main
    try:
        code = main(sys.argv[1:])
    except SystemExit as stop:
        code = stop.code
    print("\\nMODULES " + json.dumps([code, sorted(sys.modules)]))
    """
)


async def loaded_by(*argv: str) -> tuple[int, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROBE,
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    marker = out.decode().rpartition("\nMODULES ")[2]
    assert marker, err.decode()
    code, modules = json.loads(marker)
    return code, modules


def offenders(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted({m for m in modules for n in names if m == n or m.startswith(n + ".")})


async def test_status_imports_only_what_it_uses(board: EmulatorProcess) -> None:
    code, modules = await loaded_by("status", "--port", board.port, "--json")
    assert code == 0
    assert offenders(modules, NOT_FOR_STATUS) == []


async def test_help_imports_no_command_module_and_no_third_party_package() -> None:
    code, modules = await loaded_by("--help")
    assert code == 0
    ours = {m for m in modules if m.split(".")[0] in {"safetool", "protocols", "firmware", "hil"}}
    lean = {
        "safetool",
        "safetool.cli",
        "safetool.cli.main",
        "safetool.cli.extras",
        "safetool.command_words",
        "safetool.errors",
    }
    assert ours <= lean, ours
    third_party = {
        m.split(".")[0]
        for m in modules
        if m.split(".")[0] not in sys.stdlib_module_names
        and not m.startswith(("safetool", "_distutils_hack", "__"))
    }
    assert third_party == set()


@pytest.mark.parametrize("name", [name for name in COMMANDS if name != "authority"])
async def test_no_other_command_loads_the_server_stack_or_the_radio(name: str) -> None:
    _code, modules = await loaded_by(name, "--help")
    server_and_radio = ("sqlalchemy", "starlette", "uvicorn", "alembic", "psycopg", "bumble")
    assert offenders(modules, (*server_and_radio, "textual", "safetool.authority.app")) == []


def test_the_command_table_reads_as_the_catalogue_in_english() -> None:
    # `safetool --help` in English words the commands from the table, loading no catalogue
    from safetool.cli.main import COMMAND_KEYS
    from safetool.messages.catalogue import TEXTS

    assert set(COMMAND_KEYS) == set(COMMANDS)
    assert {name: TEXTS[key]["en"] for name, key in COMMAND_KEYS.items()} == {
        name: english for name, (english, _register) in COMMANDS.items()
    }


def subcommand_helps(argv: list[str] | None) -> dict[str, str]:
    parser = build_parser(argv)
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {action.dest: action.help or "" for action in commands._choices_actions}


def test_the_command_table_says_what_the_command_modules_register() -> None:
    full = subcommand_helps(None)
    assert full == {name: help_text for name, (help_text, _) in COMMANDS.items()}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_parses_with_only_its_own_module(name: str) -> None:
    lazy = subcommand_helps([name])
    assert list(lazy) == list(COMMANDS)  # every command still listed, in the same order
    parser = build_parser([name])
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    own = commands.choices[name]
    # the real parser, not the one-line stand-in: it has options or commands of its own
    assert len(own._actions) > 1


async def test_a_missing_extra_is_named_not_raised() -> None:
    # As on a base install: the authority's server stack cannot be imported.
    blocker = textwrap.dedent(
        """
        import sys
        class NoServerStack:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"starlette", "sqlalchemy", "alembic", "uvicorn"}:
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None
        sys.meta_path.insert(0, NoServerStack())
        from safetool.cli.main import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        blocker,
        "authority",
        "ledger",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    text = err.decode()
    assert "pip install 'safetool[authority]'" in text
    assert "Traceback" not in text


@pytest.mark.parametrize(("module", "extra"), sorted(EXTRA_OF_MODULE.items()))
def test_each_extras_module_names_its_extra(module: str, extra: str) -> None:
    error = ModuleNotFoundError(f"No module named '{module}.sub'", name=f"{module}.sub")
    message = missing_extra_message(error)
    assert message is not None and f"pip install 'safetool[{extra}]'" in str(message)


def test_a_module_of_no_extra_is_a_bug_not_an_extra() -> None:
    assert missing_extra_message(ModuleNotFoundError("x", name="textual")) is None
    assert missing_extra_message(ModuleNotFoundError("x", name="firmware")) is None
    assert missing_extra_message(ModuleNotFoundError("x")) is None


def test_the_single_file_says_what_it_leaves_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    emulator = missing_extra_message(ModuleNotFoundError("x", name="firmware.run"))
    assert emulator is not None and "single-file safetool does not include" in str(emulator)
    server = missing_extra_message(ModuleNotFoundError("x", name="starlette"))
    assert server is not None and "safetool[authority]" in str(server)
