"""Issue 15: every numbered board requirement of SPEC.md has its conformance test, named by its
number, and every conformance test names a requirement the SPEC states."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.reads_source  # mutation testing skips it (docs/testing.md)

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "protocols" / "SPEC.md"
SUITE = ROOT / "hil" / "suite" / "test_conformance.py"


def _stated() -> Counter[str]:
    return Counter(re.findall(r"\[B-(\d+(?:\.\d+)+)\]", SPEC.read_text(encoding="utf-8")))


def _tested() -> set[str]:
    """The numbers of the conformance tests, in every conformance module of the suite."""
    found = set()
    for module in SUITE.parent.glob("test_conformance*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                match = re.match(r"test_B_(\d+(?:_\d+)+)_", node.name)
                if match:
                    number = match.group(1).replace("_", ".")
                    assert number not in found, f"two tests for B-{number}"
                    found.add(number)
    return found


def test_every_requirement_is_stated_once_and_has_its_test() -> None:
    stated = _stated()
    assert stated, "SPEC.md numbers no board requirement"
    assert [number for number, count in stated.items() if count > 1] == []
    assert set(stated) == _tested()


def test_the_conformance_suite_is_marked_so_a_lock_maker_can_select_it() -> None:
    for module in SUITE.parent.glob("test_conformance*.py"):
        assert "pytest.mark.conformance" in module.read_text(encoding="utf-8"), module.name


def _closed_table() -> str:
    text = SPEC.read_text(encoding="utf-8")
    start = text.index("**Closed fields.**")
    return text[start : text.index("TrialState (FIRMWARE_BEGIN", start)]


def test_every_field_the_codec_closes_is_in_the_spec_table_and_no_other() -> None:
    """SPEC.md 5 lists the closed fields; the codec rejects other values in exactly those."""
    import enum
    import typing

    from protocols.catalogue import MsgType
    from protocols.codec import _BY_CLASS, load_catalogue

    load_catalogue()
    table = _closed_table()
    flags_row = next(line for line in table.splitlines() if line.startswith("| flags"))
    closed = set()
    for cls in _BY_CLASS:
        name = MsgType(cls.TYPE).name
        for field, hint in typing.get_type_hints(cls).items():
            if isinstance(hint, type) and issubclass(hint, enum.Flag):
                continue  # bit fields are open
            if typing.get_origin(hint) is typing.Literal:
                assert f"`{field}`" in flags_row and name in flags_row, (name, field)
                closed.add(field)
            elif isinstance(hint, type) and issubclass(hint, enum.Enum):
                assert name in table and f"`{field}`" in table, (name, field)
                closed.add(field)
    named = set(re.findall(r"`([a-z_]+)`", table))
    assert named - closed <= {
        "alerts",
        "qualifications",
        "checked",
        "failed",
        "kind",
        "code",
        "slot",
        "state",
    }


def _written_by_the_board() -> dict[str, set[str]]:
    """Every audit kind the reference board writes, with every detail key, read from its code."""
    from firmware.audit_tap import _OTHER

    dynamic = {
        "_OTHER[kind]": [str(name) for name in _OTHER.values()],
        "kind": ["clock_set", "clock_jump_forward"],  # audit_service: by how far it moved
    }
    written: dict[str, set[str]] = {}
    for path in (ROOT / "firmware").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and len(node.args) >= 2
            ):
                continue
            kind = node.args[1]
            if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                names = [kind.value]
            else:
                names = dynamic[ast.unparse(kind)]
            for name in names:
                written.setdefault(name, set()).update(k.arg for k in node.keywords if k.arg)
    return written


def test_every_audit_kind_and_detail_key_the_board_writes_is_in_the_spec() -> None:
    text = SPEC.read_text(encoding="utf-8")
    start = text.index("### 17.4")
    table = [line for line in text[start : text.index("\n## ", start)].splitlines()]
    rows = [line for line in table if line.startswith("| ") and "`" in line.split("|")[2]]
    by_name = {re.findall(r"`([a-z_]+)`", line.split("|")[2])[0]: line for line in rows}
    other = next(line for line in table if line.startswith("| 255"))
    written = _written_by_the_board()
    assert len(written) > 25
    for name, keys in written.items():
        row = by_name.get(name, other)
        assert f"`{name}`" in row, f"audit kind {name} is not in SPEC.md 17.4"
        for key in keys:
            assert f"`{key}`" in row, f"{name}: detail key {key} is not in SPEC.md 17.4"


def test_the_development_pki_writes_the_provisioning_files_as_the_spec_says(
    tmp_path: Path,
) -> None:
    """SPEC.md 11.1, provisioning files: what a lock maker's production line writes."""
    import json

    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from protocols.certificates import Certificate, CertificateKind
    from safetool.services.devpki import init_dev_pki

    pki = tmp_path / "pki"
    init_dev_pki(pki)
    board = pki / "boards" / "SL-0000-0001"
    pem = (board / "device.key").read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    load_pem_private_key(pem, password=None)
    certificate = Certificate.decode((board / "device.cert").read_bytes())
    assert certificate.kind is CertificateKind.DEVICE and certificate.subject_id == "SL-0000-0001"
    assert re.fullmatch(r"[0-9a-f]{64}\n?", (board / "recovery.secret").read_text())
    trust = json.loads((board / "trust.json").read_text(encoding="utf-8"))
    assert set(trust) == {
        "authority_public_key",
        "provisioning_public_key",
        "firmware_public_key",
        "authority_key_id",
    }
    assert all(re.fullmatch(r"[0-9a-f]{64}", trust[k]) for k in trust if k.endswith("_key"))
    assert re.fullmatch(r"[0-9a-f]{16}", trust["authority_key_id"])


def test_every_privileged_request_has_its_answers_by_state() -> None:
    """SPEC.md 11.10, 12.11, 13.3, 16.6, 17.5 and 20.4: each family's table names every request,
    so a lock maker finds the answer to each request in each state in one place."""
    from protocols.catalogue import MsgType

    text = SPEC.read_text(encoding="utf-8")
    tables = re.findall(r"### \d+\.\d+ Answers by state\n(.*?)(?=\n## |\n### )", text, re.S)
    assert len(tables) == 6
    named = {
        row.split("|")[1].strip()
        for table in tables
        for row in table.splitlines()
        if row.startswith("| ")
    }
    public = {"HELLO", "IDENTIFY", "STATUS", "PING", "EVENT", "ERROR"}
    assert {m.name for m in MsgType} - public <= named
