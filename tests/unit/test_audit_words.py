"""An audit entry's detail in words (services/audit.detail_message): SPEC.md 12.10's fields and
codes worded in both languages; whatever else a lock writes is shown as it is, never dropped."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.audit_messages import WireEntry
from safetool.messages import render_list
from safetool.services.audit import detail_message


def entry(**detail: object) -> WireEntry:
    return WireEntry(7, 1_790_000_000, 1, json.dumps(detail).encode())


def worded(item: WireEntry, language: str) -> str:
    return render_list(detail_message(item), language)


def test_the_fields_a_lock_writes_are_worded_in_both_languages() -> None:
    wrong_code = entry(result="wrong", value=3)
    assert worded(wrong_code, "en") == "result=wrong, value=3"
    assert worded(wrong_code, "zh_CN") == "结果=错误，值=3"
    closed = entry(reason="new_link", technician="T-1001")
    assert worded(closed, "zh_CN") == "原因=开始了新的链路会话，技术员=T-1001"
    refused = entry(reason="revoked", request="CONFIG_SET")
    assert worded(refused, "zh_CN") == "原因=证书已被吊销，请求=CONFIG_SET"
    opened = entry(qualifications=["diagnose", "recover"], open=True)
    assert worded(opened, "zh_CN") == "打开=是，资质=诊断，恢复"


def test_a_policy_change_names_each_setting() -> None:
    changed = entry(changes={"lockout_s": 600})
    assert worded(changed, "en") == "changes=Penalty lockout (s)=600"
    assert "惩罚锁定（秒）=600" in worded(changed, "zh_CN")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@given(st.dictionaries(st.text(max_size=12), JSON, max_size=6))
def test_any_detail_a_lock_writes_is_shown_whole(detail: dict[str, object]) -> None:
    item = entry(**detail) if all(k.isidentifier() for k in detail) else None
    if item is None:
        item = WireEntry(1, 0, 1, json.dumps(detail).encode())
    for language in ("en", "zh_CN"):
        parts = detail_message(item)
        assert len(parts) == len({k for k in detail if k != "kind"})
        worded(item, language)  # never raises, whatever the lock wrote


@pytest.mark.reads_source
def test_every_kind_the_emulated_board_writes_is_worded() -> None:
    """A kind the board writes but the catalogue lacks read "entry kind bolt_extended" in a
    Chinese audit (found by the end-to-end visit, issue 20)."""
    import re
    from pathlib import Path

    from firmware.audit_tap import _OTHER as EVENTS_WRITTEN_AS_THEMSELVES
    from protocols.audit_messages import AuditKind
    from safetool.messages.catalogue import TEXTS

    firmware = Path(__file__).resolve().parents[2] / "firmware"
    written = {kind.name.lower() for kind in AuditKind} | {*EVENTS_WRITTEN_AS_THEMSELVES.values()}
    for source in firmware.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        written |= set(re.findall(r'\.append\(\s*[^,]+?,\s*"([a-z_]+)"', text, re.S))
    assert {"bolt_extended", "diag_motor_refused", "power_on"} <= written  # the scan reads
    assert sorted(k for k in written if f"audit.kind.{k}" not in TEXTS) == []
