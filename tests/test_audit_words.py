"""An audit entry's detail in words (services/audit.detail_message): SPEC.md 12.10's fields and
codes worded in both languages; whatever else a lock writes is shown as it is, never dropped."""

from __future__ import annotations

import json

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
