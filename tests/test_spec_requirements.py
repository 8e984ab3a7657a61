"""Issue 15: every numbered board requirement of SPEC.md has its conformance test, named by its
number, and every conformance test names a requirement the SPEC states."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "protocols" / "SPEC.md"
SUITE = ROOT / "hil" / "suite" / "test_conformance.py"


def _stated() -> Counter[str]:
    return Counter(re.findall(r"\[B-(\d+(?:\.\d+)+)\]", SPEC.read_text(encoding="utf-8")))


def _tested() -> set[str]:
    tree = ast.parse(SUITE.read_text(encoding="utf-8"))
    names = [
        node.name for node in tree.body if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
    ]
    found = set()
    for name in names:
        match = re.match(r"test_B_(\d+(?:_\d+)+)_", name)
        if match:
            found.add(match.group(1).replace("_", "."))
    return found


def test_every_requirement_is_stated_once_and_has_its_test() -> None:
    stated = _stated()
    assert stated, "SPEC.md numbers no board requirement"
    assert [number for number, count in stated.items() if count > 1] == []
    assert set(stated) == _tested()


def test_the_conformance_suite_is_marked_so_a_lock_maker_can_select_it() -> None:
    text = SUITE.read_text(encoding="utf-8")
    assert "pytest.mark.conformance" in text
