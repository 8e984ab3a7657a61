"""The command line in Chinese, walked as a technician meets it: each command a technician
runs, on an emulated board with faults, and its refusals and errors (no cable, no identity, a
damaged image, a flat battery, no Bluetooth). Every line printed must be Chinese: Latin words
only for names, units, commands in backticks, device paths, serials and versions."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from hil.images import build_test_image
from hil.plugin import BoardFactory
from safetool.services.devpki import init_dev_pki
from tests.test_cli import run
from tests.test_messages import latin_words

TECHNICIAN = "technicians/T-1001"
NAMES = re.compile(
    r"\[[a-z_]+\]|\b(UTC|AA|ED25519)\b|SL-[\w-]+|\b\d+\.\d+\.\d+(\+\d+)?\b"
    r"|\S+\.(bin|img|pem|json)\b|/tmp/\S+|\bT-\d+"
)
"""Serials, models, versions, file names, the technician id and a setting's name to type
(``[wrong_codes]``); the zone an offset is from and the AA cell: data and names, not words."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("zh-cli") / "pki"
    init_dev_pki(directory)
    return directory


def english_in(text: str, *data: str) -> list[str]:
    found = []
    for line in text.splitlines():
        for value in data:
            line = line.replace(value, "")
        words = latin_words(NAMES.sub("", line))
        if words:
            found.append(f"{sorted(words)}: {line}")
    return found


async def zh(*argv: str, data: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run in Chinese, with this test's own data folder (kept audit trails, reports)."""
    environment = {**os.environ, "SAFETOOL_DATA_DIR": str(data), **(env or {})}
    code, out, err = await run(*argv, "--lang", "zh-CN", env=environment)
    assert "Traceback" not in err, err
    return code, out + err


async def test_a_visit_on_a_lock_with_faults_reads_in_chinese(
    pki: Path, board_factory: BoardFactory, tmp_path: Path
) -> None:
    board = await board_factory("--pki", str(pki))
    me = ("--technician", str(pki / TECHNICIAN))
    port = ("--port", board.port)
    await board.board.set_fault(name="weak_battery")
    for _ in range(5):
        await board.board.enter_code(code="999999")  # a penalty lockout: a problem to name
    visits = tmp_path / "visits.db"
    shown: dict[str, str] = {}
    for name, argv in {
        "info": ("info", *port),
        "status": ("status", *port),
        "diag": ("diag", *port, *me, "--check", "battery", "--check", "rtc"),
        "config": ("config", *port, *me),
        "audit": ("audit", *port, *me),
        "clock": ("clock", *port, *me),
        "firmware status": ("firmware", "status", *port, *me),
        "visit start": (
            "visit",
            "start",
            *port,
            *me,
            "--site",
            "银行",
            "--db",
            str(visits),
        ),
    }.items():
        code, text = await zh(*argv, data=tmp_path)
        assert code in (0, 1), text
        shown[name] = text
    db = ("--db", str(visits))
    for name, argv in {
        "visit add-part": ("visit", "add-part", "--part", "SL-BAT-4AA", "--reason", "电量低", *db),
        "visit note": ("visit", "note", "--finding", "电池电量低", *db),
        "visit close": ("visit", "close", "--signed-off-by", "王先生", "--satisfaction", "5", *db),
        "visit list": ("visit", "list", *db),
        "visit show": ("visit", "show", "1", *db),
        "ports": ("ports",),
    }.items():
        code, text = await zh(*argv, data=tmp_path)
        assert code == 0, (name, text)
        shown[name] = text
    image = build_test_image(pki, tmp_path, "v240", b"\x5a" * 4096, "2.4.0")
    for name, argv in {
        "firmware info": ("firmware", "info", str(image)),
        "firmware verify": ("firmware", "verify", str(image), "--pki", str(pki)),
    }.items():
        code, text = await zh(*argv, data=tmp_path)
        assert code == 0, (name, text)
        shown[name] = text
    code, shown["firmware install (refused)"] = await zh(
        "firmware", "install", str(image), *port, *me, "--yes", data=tmp_path
    )
    assert code == 1
    english = {name: english_in(text, board.port) for name, text in shown.items()}
    assert {name: lines for name, lines in english.items() if lines} == {}


async def test_errors_and_refusals_read_in_chinese(tmp_path: Path, pki: Path) -> None:
    damaged = tmp_path / "damaged.bin"
    damaged.write_bytes(b"\x3d\xb8\xf3\x96" + bytes(40))
    no_identity = {"SAFETOOL_TECHNICIAN": ""}
    shown = {}
    for name, argv, env in (
        ("no such port", ("info", "--port", "/dev/ttyNOPE9"), None),
        ("no port", ("info", "--port", ""), None),
        ("ble without a name", ("info", "--port", "ble:"), None),
        ("no identity", ("recover", "--phone", "--port", "/dev/ttyNOPE9"), no_identity),
        (
            "no image",
            ("firmware", "verify", str(tmp_path / "missing.bin"), "--pki", str(pki)),
            None,
        ),
        ("damaged image", ("firmware", "verify", str(damaged), "--pki", str(pki)), None),
    ):
        code, text = await zh(*argv, data=tmp_path, env=env)
        assert code != 0, (name, text)
        shown[name] = text
    english = {name: english_in(text) for name, text in shown.items()}
    assert {name: lines for name, lines in english.items() if lines} == {}


OPTIONS = re.compile(r"-{1,2}[a-z][\w-]*|\b[A-Z][A-Z_]+\b|\bsafetool\b|\[|\]")
"""In a help screen: options and their metavars (``--port PORT``), typed as they are."""


async def test_help_and_usage_errors_read_in_chinese(tmp_path: Path) -> None:
    from safetool.services.diagnostics import CHECKS

    shown = {}
    for name, argv, env in (
        ("safetool --help", ("--help",), {"SAFETOOL_LANG": "zh-CN"}),
        ("diag --help", ("diag", "--help", "--lang", "zh-CN"), None),
        ("recover --help", ("recover", "--help", "--lang", "zh-CN"), None),
        ("firmware install --help", ("firmware", "install", "--help", "--lang", "zh-CN"), None),
        ("visit start --help", ("visit", "start", "--help", "--lang", "zh-CN"), None),
    ):
        code, out, err = await run(*argv, env={**os.environ, **(env or {})})
        assert code == 0 and "Traceback" not in err, err
        shown[name] = out
    code, out, err = await run("diag", "--check", "nope", "--lang", "zh-CN")
    assert code == 2 and "无效的选项" in err and "用法：" in err
    shown["diag --check nope"] = out + err.replace("'nope'", "")
    assert "用法：" in shown["diag --help"] and "显示此帮助并退出" in shown["diag --help"]
    from safetool.cli.main import COMMANDS

    names = (*COMMANDS, *CHECKS, "zh-CN", "zh", "en", "json", "csv", "text", "install", "start")
    data = sorted(names, key=len, reverse=True)  # battery_resistance before battery
    english = {}
    for name, text in shown.items():
        for value in data:
            text = text.replace(value, "")
        lines = english_in(OPTIONS.sub("", text))
        if lines:
            english[name] = lines
    assert english == {}
