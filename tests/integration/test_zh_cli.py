"""The command line in Chinese, walked as a technician meets it: each command a technician
runs, on an emulated board with faults, and its refusals and errors (no cable, no identity, a
damaged image, a flat battery, no Bluetooth). Every line printed must be Chinese: Latin words
only for names, units, commands in backticks, device paths, serials and versions."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from hil.images import build_test_image
from hil.plugin import BoardFactory
from safetool.services.devpki import init_dev_pki
from tests.cli_harness import safetool_here
from tests.unit.test_messages import latin_words

pytestmark = pytest.mark.in_memory  # the commands run in the test's loop, beside the board

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
    code, out, err = await safetool_here(*argv, "--lang", "zh-CN", env=environment)
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
        ("emulate --help", ("emulate", "--help", "--lang", "zh-CN"), None),
        ("authority --help", ("authority", "--help", "--lang", "zh-CN"), None),
    ):
        code, out, err = await safetool_here(*argv, env={**os.environ, **(env or {})})
        assert code == 0 and "Traceback" not in err, err
        shown[name] = out
    code, out, err = await safetool_here("diag", "--check", "nope", "--lang", "zh-CN")
    assert code == 2 and "无效的选项" in err and "用法：" in err
    shown["diag --check nope"] = out + err.replace("'nope'", "")
    assert "用法：" in shown["diag --help"] and "显示此帮助并退出" in shown["diag --help"]
    from safetool.cli.main import COMMANDS

    names = (*COMMANDS, *CHECKS, "zh-CN", "zh", "en", "json", "csv", "text", "install", "start")
    names += ("verify-report", "serve", "issue", "close", "ledger", "init", "verify-")  # typed
    names += ("operator-add", "operator-totp")
    data = sorted(names, key=len, reverse=True)  # battery_resistance before battery
    english = {}
    for name, text in shown.items():
        for value in data:
            text = text.replace(value, "")
        lines = english_in(OPTIONS.sub("", text))
        if lines:
            english[name] = lines
    assert english == {}


async def test_the_hotline_desk_commands_read_in_chinese(tmp_path: Path) -> None:
    """`safetool authority`: a response issued, a misheard digit, a revoked technician, a
    wrong and a right seal, the ledger listed and exported, and their help, all in Chinese."""
    import secrets

    from protocols.recovery import challenge_digits, group_digits, seal_code

    pki = tmp_path / "pki"
    init_dev_pki(pki)
    serial = "SL-0000-0001"
    challenge = challenge_digits(secrets.token_bytes(16))
    misheard = challenge[:-1] + str((int(challenge[-1]) + 1) % 10)
    secret = bytes.fromhex((pki / "boards" / serial / "recovery.secret").read_text())
    seal = seal_code(secret, serial, 9, challenge)
    desk = ("authority",)
    where = ("--pki", str(pki), "--serial", serial)
    shown: dict[str, str] = {}
    for name, argv, ok in (
        ("issue", (*desk, "issue", *where, "--challenge", group_digits(challenge),
                   "--technician", "T-1001", "--counter", "9"), True),
        ("misheard", (*desk, "issue", *where, "--challenge", misheard,
                      "--technician", "T-1001", "--counter", "9"), False),
        ("revoked", (*desk, "issue", *where, "--challenge", challenge,
                     "--technician", "T-1003", "--counter", "9"), False),
        ("unknown", (*desk, "issue", *where, "--challenge", challenge,
                     "--technician", "T-9999", "--counter", "9"), False),
        ("wrong seal", (*desk, "close", *where, "--recovery", "9", "--seal", "000000000"),
         False),
        ("seal", (*desk, "close", *where, "--recovery", "9", "--seal", seal), True),
        ("ledger", (*desk, "ledger", "--pki", str(pki)), True),
        ("export", (*desk, "ledger", "--pki", str(pki), "--format", "csv", "-o",
                    str(tmp_path / "l.csv")), True),
        ("bad filter", (*desk, "ledger", "--pki", str(pki), "--since", "yesterday"), False),
        ("no pki", (*desk, "ledger"), False),
        ("issue --help", (*desk, "issue", "--help"), True),
        ("serve --help", (*desk, "serve", "--help"), True),
        ("ledger --help", (*desk, "ledger", "--help"), True),
    ):  # fmt: skip
        code, text = await zh(*argv, data=tmp_path, env={"SAFETOOL_PKI": ""})
        assert (code == 0) == ok, (name, text)
        shown[name] = text
    assert "请向技术员读出" in shown["issue"] and "已被吊销" in shown["revoked"]
    assert "已关闭" in shown["seal"] and "共 1 条" in shown["ledger"]
    assert "用法：" in shown["issue --help"]
    values = (challenge, group_digits(challenge), misheard, group_digits(misheard), seal, serial)
    values += ("yesterday", "zh")  # the value typed; `zh-CN` wrapped by argparse
    dashes = re.compile(r"(?<![\w-])-{1,2}[a-z][\w-]*|\b[A-Z][A-Z_]+\b|\[|\]|\{[\w,]+\}")
    english = {
        name: english_in(dashes.sub("", text), *values, "authority", "issue", "serve", "ledger")
        for name, text in shown.items()
    }
    assert {name: lines for name, lines in english.items() if lines} == {}


def test_the_emulated_boards_help_is_the_catalogues_english() -> None:
    """The board (firmware/) speaks English and stands on nothing of safetool; `safetool
    emulate` words the same options from the catalogue. The two must not drift apart."""
    from firmware.run import HELP
    from safetool.messages.catalogue import TEXTS

    catalogue = {
        key.removeprefix("cli.help.emulate."): texts["en"]
        for key, texts in TEXTS.items()
        if key.startswith("cli.help.emulate.")
    }
    assert catalogue == HELP


async def test_the_developer_commands_read_in_chinese(tmp_path: Path) -> None:
    """`dev-pki init` and `firmware build`: what they print, in Chinese too."""
    code, text = await zh("dev-pki", "init", str(tmp_path / "pki"), data=tmp_path)
    assert code == 0 and "已吊销" in text and "切勿用于真实的锁" in text
    (tmp_path / "p.bin").write_bytes(b"payload")
    code, built = await zh(
        "firmware", "build", "--payload", str(tmp_path / "p.bin"), "-o", str(tmp_path / "o.img"),
        "--key", str(tmp_path / "pki" / "manufacturer" / "firmware.key"), "--version", "2.5.0",
        "--security-counter", "2", "--model", "SL-100", "--hardware-revision", "B",
        data=tmp_path,
    )  # fmt: skip
    assert code == 0 and "已签名" in built
    lines = english_in(text + built, f"`safetool emulate --pki {tmp_path / 'pki'}`")
    assert lines == []


async def test_a_missing_port_is_explained_in_chinese_and_coded_in_json() -> None:
    code, out, err = await safetool_here(
        "info", "--port", "/dev/ttyUSB-not-there", "--lang", "zh-CN"
    )
    assert code == 2 and "Traceback" not in err
    assert "没有串口" in err
    assert not latin_words(err), err
    code, out, _ = await safetool_here("info", "--port", "/dev/ttyUSB-not-there", "--json")
    document = json.loads(out)
    assert document["codes"]["message"]["code"] == "port.not_found"
    assert document["message"] == "There is no serial port /dev/ttyUSB-not-there."


async def test_info_and_status_speak_the_reader_language(board_factory: BoardFactory) -> None:
    board = await board_factory()
    for _ in range(5):
        await board.board.enter_code(code="000000")
    for command in ("info", "status"):
        code, out, err = await safetool_here(command, "--port", board.port, "--lang", "zh-CN")
        assert code == 1, err  # the lock has a problem: a penalty lockout
        lines = out.splitlines()
        assert "! 惩罚锁定：键盘锁定" in out
        labels = [line.split("  ")[0] for line in lines if not line.startswith("!")]
        assert "锁状态" in labels and "序列号" in labels
        assert all(not latin_words(label) for label in labels), labels
        assert any(line.startswith("锁状态") and line.endswith("惩罚锁定") for line in lines)
        code, out, _ = await safetool_here(command, "--port", board.port, "--json")
        document = json.loads(out)
        assert document["lock_state"] == "penalty_lockout"
        assert document["problem_codes"][0]["code"] == "problem.penalty_lockout"
        assert document["problems"][0].startswith("penalty lockout: keypad blocked for")
