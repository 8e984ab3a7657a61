"""The message catalogue: every key worded in every language with the same values, every wire
enum worded once, and the command line speaking the reader's language."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.catalogue import BoltState, DoorState, EventKind, LockState, RefusalReason
from safetool.errors import SafetoolError
from safetool.messages import (
    LANGUAGES,
    Message,
    Words,
    as_dict,
    from_dict,
    language_code,
    pick_language,
    placeholders,
    render,
)
from safetool.messages.catalogue import TEXTS
from safetool.services.events import (
    bolt_message,
    door_message,
    event_message,
    lock_state_message,
    refusal_message,
)

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*[A-Za-z]")
ALLOWED_IN_CHINESE = {
    *("mV", "mA", "ms", "KiB", "Ctrl", "safetool", "debug"),  # units, keys, the program, options
    *("Windows", "macOS", "Arch", "dialout", "uucp", "USB"),  # systems, groups, buses
    *("PuTTY", "Arduino", "IDE", "ModemManager", "ser2net", "RFC", "JSON", "MCUboot"),
    *("Ed", "SHA", "RSA", "ECDSA", "PEM", "BLE", "BlueZ", "Bus", "Linux"),  # Ed25519, D-Bus: names
    *("TLV", "UTF", "SEC", "CNT", "KEYHASH", "PUBKEY", "UTC", "SQLite", "HTML", "TCP"),  # formats
    *(
        "PostgreSQL",
        "PKI",
        "HTTP",
        "TLS",
        "CSV",
        "ISO",
    ),  # the ledger database, key folder, protocols, formats
}
"""Names and units may stay Latin in a Chinese sentence; so may commands in `backticks`
and device paths."""
VERBATIM = re.compile(r"`[^`]*`|/dev/\S+|\{\w+\}|%\(\w+\)[sr]|%s")


def latin_words(text: str) -> set[str]:
    return set(LATIN_WORD.findall(VERBATIM.sub("", text))) - ALLOWED_IN_CHINESE


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_key_has_every_language_with_the_same_values(key: str) -> None:
    texts = TEXTS[key]
    assert set(texts) == set(LANGUAGES), f"{key} lacks {set(LANGUAGES) - set(texts)}"
    english = placeholders(texts["en"])
    for language, text in texts.items():
        assert text.strip(), f"{key} has an empty {language} text"
        assert placeholders(text) == english, f"{key}: {language} fills other values"
    assert not latin_words(texts["zh_CN"]), texts["zh_CN"]


def _messages_built_in(path: Path) -> list[tuple[int, str, bool, set[str] | None]]:
    """Each ``Message(key, {...})`` in a source file: line, key (the constant head of an
    f-string key), whether the key is whole, and the value names when given as a literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Message"
            and node.args
        ):
            continue
        key, whole = node.args[0], True
        if isinstance(key, ast.JoinedStr):
            head = key.values[0] if key.values else None
            key = head if isinstance(head, ast.Constant) else ast.Constant("")
            whole = False
        if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
            continue
        names: set[str] | None = set()
        values = node.args[1] if len(node.args) > 1 else None
        if isinstance(values, ast.Dict):
            for name in values.keys:
                if not isinstance(name, ast.Constant):
                    names = None
                    break
                assert names is not None
                names.add(name.value)
        elif values is not None:
            names = None
        found.append((node.lineno, key.value, whole, names))
    return found


def test_no_key_is_defined_twice_in_the_catalogue() -> None:
    """Sections are merged with ``TEXTS.update``: a key written twice would silently take the
    later text, with other values."""
    seen: dict[str, str] = {}
    twice = []
    for path in sorted((Path(__file__).resolve().parents[2] / "safetool/messages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for key in node.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        if "." in key.value and key.value in seen:
                            twice.append(f"{key.value}: {seen[key.value]} and {path.name}")
                        seen[key.value] = path.name
    assert twice == []


@pytest.mark.reads_source
def test_every_message_the_code_builds_is_in_the_catalogue_with_its_values() -> None:
    """A key mistyped in the code, or a value a text needs but the code does not give, would
    only show when that error happens: check every ``Message(...)`` the sources build."""
    root = Path(__file__).resolve().parents[2]
    problems = []
    for path in sorted((root / "safetool").rglob("*.py")):
        for line, key, whole, names in _messages_built_in(path):
            where = f"{path.relative_to(root)}:{line}"
            if not whole:
                if key and not any(known.startswith(key) for known in TEXTS):
                    problems.append(f"{where}: no key starts with {key!r}")
                continue
            if key not in TEXTS:
                problems.append(f"{where}: {key!r} is not in the catalogue")
            elif names is not None and not placeholders(TEXTS[key]["en"]) <= names:
                wanted = placeholders(TEXTS[key]["en"])  # more is kept for --json, not shown
                problems.append(f"{where}: {key!r} needs {sorted(wanted)}, given {sorted(names)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("enum", "prefix", "message"),
    [
        (EventKind, "event", lambda member: event_message(member, 1)),
        (RefusalReason, "refusal", refusal_message),
        (LockState, "lock_state", lock_state_message),
        (DoorState, "door", door_message),
        (BoltState, "bolt", bolt_message),
    ],
)
def test_every_wire_enum_member_has_its_own_words(enum: type, prefix: str, message: object) -> None:
    for member in enum:
        said = message(member)  # type: ignore[operator]
        assert said.key == f"{prefix}.{member.name.lower()}"
        assert said.key in TEXTS, f"{enum.__name__}.{member.name} has no words"


@given(kind=st.integers(0, 255), value=st.integers(-(2**31), 2**31 - 1))
def test_any_event_renders_in_both_languages_and_chinese_has_no_english(
    kind: int, value: int
) -> None:
    message = event_message(kind, value)
    english, chinese = render(message, "en"), render(message, "zh_CN")
    assert english and chinese
    assert not latin_words(chinese), chinese
    assert as_dict(message)["text"] == english


def test_a_refusal_inside_an_event_is_worded_in_the_same_language() -> None:
    refused = event_message(EventKind.RECOVERY_REFUSED, RefusalReason.WRONG_RESPONSE)
    assert render(refused, "en") == "recovery refused: the response code is wrong"
    assert render(refused, "zh_CN") == "恢复被拒绝：应答码错误"
    document = as_dict(refused)
    assert document["code"] == "event.recovery_refused"
    assert document["params"]["reason"]["code"] == "refusal.wrong_response"


def test_an_unknown_key_still_says_what_it_has() -> None:
    assert render(Message("no.such.key", {"n": 3})) == "no.such.key(n=3)"


def test_language_codes_and_the_reader_language(monkeypatch: pytest.MonkeyPatch) -> None:
    assert language_code("zh-CN") == language_code("zh_CN.UTF-8") == "zh_CN"
    assert language_code("en_GB.UTF-8") == language_code("C") == "en"
    assert language_code("fr_FR") is None
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFETOOL_LANG", "zh-CN")
    assert pick_language() == "zh_CN"
    assert pick_language("en") == "en"
    with pytest.raises(ValueError, match="unknown language"):
        pick_language("klingon")


def test_a_coded_error_explains_itself_in_the_reader_language() -> None:
    error = SafetoolError(Message("refusal.revoked"), next_step=Message("refusal.no_challenge"))
    assert error.message == "the certificate has been revoked"
    assert error.explain("zh_CN").splitlines() == [
        "证书已被吊销",
        "处理方法：锁没有有效的挑战码（请申请新的）",
    ]
    assert error.as_dict()["codes"]["message"]["code"] == "refusal.revoked"


@given(kind=st.integers(0, 255), value=st.integers(-(2**31), 2**31 - 1))
def test_coded_words_kept_as_json_read_back_the_same(kind: int, value: int) -> None:
    message = event_message(kind, value)
    kept = json.loads(json.dumps(as_dict(message)))
    for language in LANGUAGES:
        assert render(from_dict(kept) or "", language) == render(message, language)
    assert from_dict({"en": "a part", "zh_CN": "零件"}) == Words({"en": "a part", "zh_CN": "零件"})
    assert from_dict({"zh_CN": "no English"}) is None and from_dict("text") is None


def test_the_desk_script_checks_digits_with_the_spec_s_damm_table() -> None:
    """The hotline desk's browser check (safetool/authority/desk_static/desk.js) and the
    tool's agree: the same table, row by row."""
    import json
    import re

    from protocols.recovery import _DAMM

    root = Path(__file__).resolve().parents[2]
    script = (root / "safetool" / "authority" / "desk_static" / "desk.js").read_text()
    table = re.search(r"const DAMM = (\[.*?\]);", script, re.S)
    assert table is not None
    assert json.loads(re.sub(r",\s*\]$", "]", table.group(1).strip())) == [list(r) for r in _DAMM]
