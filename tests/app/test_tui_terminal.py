"""The app in a real terminal (tmux, 80×24): it starts, draws, and quits cleanly on Ctrl+Q."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def capture(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


def wait_for(session: str, text: str, timeout_s: float = 15.0) -> str:
    deadline = time.monotonic() + timeout_s
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(session)
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not shown; the terminal shows:\n{screen}")


@pytest.mark.parametrize(("language", "title"), [("en", "Connect to a lock"), ("zh_CN", "连接锁")])
def test_starts_draws_and_quits_in_tmux(tmp_path: Path, language: str, title: str) -> None:
    session = f"safetool-tui-{uuid.uuid4().hex[:8]}"
    exit_file = tmp_path / "exit-code"
    command = (
        f"SAFETOOL_CONFIG_DIR={shlex.quote(str(tmp_path))} SAFETOOL_PORT= "
        f"TERM=xterm-256color {shlex.quote(sys.executable)} -m safetool.tui --lang {language}; "
        f"echo $? > {shlex.quote(str(exit_file))}; sleep 30"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command],
        check=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        screen = wait_for(session, title)
        lines = screen.splitlines()
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
        wait_for(session, "f1 Help" if language == "en" else "帮助")
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
        deadline = time.monotonic() + 10
        while not exit_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert exit_file.read_text().strip() == "0"
        assert "Traceback" not in capture(session)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
