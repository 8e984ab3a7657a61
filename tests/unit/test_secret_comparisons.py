"""Secrets (codes, recovery responses, seals, MACs, tokens, passwords) are compared only in
constant time (``hmac.compare_digest``, ``cryptography``'s ``constant_time.bytes_eq``, or a
library's own ``verify``): ``==`` and ``!=`` on them would tell an attacker, by how long a
refusal takes, how many leading digits were right. This reads every comparison in the product's
code and refuses ``==``/``!=`` on a value named as a secret (issue 21)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.reads_source  # mutation testing skips it (docs/testing.md)

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("safetool", "protocols", "firmware")

SECRET_NAME = re.compile(
    r"^(seal|mac|tag|secret|password|passcode|pin|otp|digits|code|expected|response|token)$"
    r"|_(seal|mac|tag|secret|password|passcode|otp|digits|response|token)$"
)
"""What a value holding a secret is called here (a variable, an attribute or a dict key)."""

PUBLIC_ENUMS = {"ErrorCode", "errno", "EventKind", "BoardError", "RefusalReason"}
"""``x.code == ErrorCode.NOT_ALLOWED`` compares a public status, not a secret."""


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        key = node.slice.value
        return key if isinstance(key, str) else None
    return None  # a call (len(code), code.hex()) compares something derived, not the secret


def _public(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):  # None, a number, one character ('*', '#')
        return not (isinstance(node.value, str | bytes) and len(node.value) > 1)
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in PUBLIC_ENUMS
    )


def offences(source: str, filename: str = "<source>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            continue
        operands = [node.left, *node.comparators]
        if any(_public(operand) for operand in operands):
            continue
        names = [name for operand in operands if (name := _name(operand))]
        if any(SECRET_NAME.search(name) for name in names):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_secret_is_compared_with_equals() -> None:
    found = [
        offence
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        for offence in offences(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == [], "compare secrets with hmac.compare_digest:\n" + "\n".join(found)


def test_the_check_sees_what_it_must_and_only_that() -> None:
    # the check is only as good as its reader: each of these must be caught ...
    for bad in (
        "ok = entered == code",
        "if entry.seal != seal: pass",
        "if record['digits'] == typed: pass",
        "same = expected_response == answer",
        "if request.mac != tag: pass",
        "if self.bearer_token == given: pass",
    ):
        assert offences(bad), bad
    # ... and these, which compare public things or lengths, must pass
    for fine in (
        "if refusal.code == ErrorCode.NOT_ALLOWED: pass",
        "if len(code) != 6: pass",
        "if key == '*': pass",
        "if code == errno.ENOENT: pass",
        "if token.serial != serial: pass",
        "ok = hmac.compare_digest(entry.seal, seal)",
    ):
        assert offences(fine) == [], fine
