"""Issue 19, finding 5: what a lock supplies reaches the technician with control and bidi
characters made visible, in the CLI, the app and the report."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from hil.hostile import harmless
from hil.plugin import BoardFactory
from safetool.messages import Message, render
from safetool.messages.shown import json_text, visible
from tests.process.test_cli import run

HOSTILE = "SL-1\x1b[2J\x1b]0;pwned\x07\rstate UNLOCKED\u202etxt.exe\u2066\x9b"


@given(st.text())
def test_visible_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    shown = visible(text)
    assert harmless(shown) and "\n" not in shown  # a newline too is made visible
    if text.isprintable():
        assert shown == text  # Chinese and everything printable are unchanged


def test_visible_shows_what_was_there() -> None:
    assert visible("a\x1b[2Jb\rc\u202ed") == "a\u241b[2Jb\u240dc\\u202ed"
    assert visible("锁 SL-0000-0001") == "锁 SL-0000-0001"


def test_a_coded_message_never_carries_raw_control_characters() -> None:
    message = Message("lock.refused", {"request": "X", "code": "BUSY", "detail": HOSTILE})
    for language in ("en", "zh_CN"):
        assert harmless(render(message, language))


async def test_a_hostile_lock_cannot_write_to_the_terminal(board_factory: BoardFactory) -> None:
    board = await board_factory("--serial", HOSTILE)
    for command in ("info", "status"):
        code, out, err = await run(command, "--port", board.port)
        assert code in (0, 1) and "Traceback" not in err, err
        for text in (out, err):
            assert harmless(text), (command, text)
        assert "\u241b[2J" in out, (command, out)  # shown, not acted on


def test_json_output_keeps_the_value_and_sends_nothing_a_terminal_acts_on() -> None:
    """Found by the hostile-board campaign: `--json` wrote a lock's bidi overrides and C1
    controls raw (JSON escapes only C0). Now they are \\u escapes; a JSON reader gets the exact
    value back, and Chinese stays readable."""
    document = {"detail": HOSTILE + "\U000f0000", "锁": "保险箱"}
    text = json_text(document, indent=2)
    assert harmless(text)
    assert json.loads(text) == document
    assert "保险箱" in text


@given(st.dictionaries(st.text(), st.text() | st.integers()))
def test_json_text_is_json_whatever_the_strings(document: dict[str, object]) -> None:
    text = json_text(document)
    assert json.loads(text) == document and harmless(text)
