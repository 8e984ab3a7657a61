"""The app's small parts without a screen: catalogs, the in-memory .mo compiler, the check
digit feedback, the remembered ports, the language choice."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo as babel_write_mo
from babel.messages.pofile import read_po as babel_read_po
from rich.cells import cell_len

from protocols.recovery import with_check_digit
from safetool.tui import i18n
from safetool.tui.pofile import PoSyntaxError, compile_po, read_po
from safetool.tui.recent import KEEP, RecentPorts
from safetool.tui.widgets.response_input import feedback

LOCALE = Path(i18n.LOCALE_DIR)
ZH_PO = LOCALE / "zh_CN" / "LC_MESSAGES" / "safetool.po"
TUI = Path(i18n.__file__).parent


@pytest.fixture(autouse=True)
def english_afterwards() -> object:
    yield None
    i18n.set_language("en")


def test_our_mo_reads_the_same_as_babels() -> None:
    ours = gettext.GNUTranslations(io.BytesIO(compile_po(ZH_PO)))
    with ZH_PO.open("rb") as source:
        catalog = babel_read_po(source)
    buffer = io.BytesIO()
    babel_write_mo(buffer, catalog)
    buffer.seek(0)
    babels = gettext.GNUTranslations(buffer)
    # the header names the Babel that wrote it: whichever is installed, not ours
    ours_catalog = {k: v for k, v in ours._catalog.items() if k != ""}  # type: ignore[attr-defined]
    babels_catalog = {k: v for k, v in babels._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert ours_catalog == babels_catalog and ours_catalog
    assert (
        ours.ngettext("{count} attempt left", "{count} attempts left", 2) == "还剩 {count} 次尝试"
    )


def test_the_template_lists_every_string_of_the_app() -> None:
    in_source = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(TUI))
    }
    with (LOCALE / "safetool.pot").open("rb") as template:
        in_template = {m.id if isinstance(m.id, str) else m.id[0] for m in babel_read_po(template)}
    assert in_source - in_template == set(), "run pybabel extract (docs/tui.md)"
    assert in_template - in_source == {""}, "the template holds strings the app no longer uses"


def test_chinese_is_complete_and_keeps_every_placeholder() -> None:
    with ZH_PO.open("rb") as source:
        catalog = babel_read_po(source)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {ids[0]!r}"
        assert not message.fuzzy, f"fuzzy: {ids[0]!r}"
        wanted = set(re.findall(r"\{[^}]*\}", ids[-1]))
        for string in strings:
            assert set(re.findall(r"\{[^}]*\}", string)) == wanted, ids[0]


def test_key_labels_stay_short_in_both_languages() -> None:
    """Footer keys at 80 columns (compact: ``key description`` and a gap; CJK characters take
    two cells), the app's own keys (help, quit, the other language) included. The dashboard,
    whose footer hides its least needed keys when narrow, has its own test at 80, 100 and 120
    columns (test_tui_screens.py)."""
    from safetool.tui.app import SafetoolApp
    from safetool.tui.screens.audit import AuditScreen
    from safetool.tui.screens.config import ConfigScreen
    from safetool.tui.screens.connect import ConnectScreen
    from safetool.tui.screens.diagnose import DiagnoseScreen
    from safetool.tui.screens.firmware import FirmwareScreen
    from safetool.tui.screens.recover import RecoverScreen
    from safetool.tui.screens.visit import VisitScreen

    def display(key: str) -> str:
        return {"escape": "esc"}.get(key, key.replace("ctrl+", "^"))

    screens = (
        ConnectScreen, RecoverScreen, ConfigScreen, DiagnoseScreen, AuditScreen, VisitScreen,
        FirmwareScreen,
    )  # fmt: skip
    for language, screen in ((lang, s) for lang in i18n.LANGUAGES for s in screens):
        i18n.set_language(language)
        by_key: dict[str, object] = {}  # the footer shows one binding per key (Esc: cancel/back)
        for b in [*screen.BINDINGS, *SafetoolApp.BINDINGS]:
            by_key.setdefault(b.key, b)  # type: ignore[union-attr]
        shown = [b for b in by_key.values() if getattr(b, "show", True)]
        width = sum(
            cell_len(display(b.key)) + 1 + cell_len(i18n._(b.description)) + 1  # type: ignore[union-attr]
            for b in shown
        )
        assert width <= 80, (language, screen.__name__, width)


def test_po_reader_handles_context_plurals_fuzzy_and_escapes() -> None:
    text = (
        'msgid ""\nmsgstr "Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgctxt "menu"\nmsgid "Open"\nmsgstr "Öffnen"\n\n'
        '#, fuzzy\nmsgid "Close"\nmsgstr "Zu"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "eins"\nmsgstr[1] "viele"\n\n'
        'msgid "a\\"b"\n"c"\nmsgstr "x\\ty"\n'
    )
    catalog = read_po(text)
    assert catalog[b"menu\x04Open"] == "Öffnen".encode()
    assert b"Close" not in catalog
    assert catalog[b"one\x00many"] == b"eins\x00viele"
    assert catalog[b'a"bc'] == b"x\ty"
    with pytest.raises(PoSyntaxError):
        read_po('msgid "x"\nmsgfoo "y"\n')


def test_check_digit_feedback_as_you_type() -> None:
    good = with_check_digit("123456789012")
    assert feedback(good[:5])[1] is False
    assert "8" in feedback(good[:5])[0].plain  # "8 more digits"
    assert feedback(good)[1] is True
    misheard = good[:-1] + str((int(good[-1]) + 1) % 10)
    text, ok = feedback(misheard)
    assert not ok and "misheard" in text.plain
    assert feedback(good + "1")[1] is False
    assert feedback(" ".join([good[:4], good[4:8], good[8:]]))[1] is True  # typed in groups
    i18n.set_language("zh_CN")
    assert "还差 1 位" in feedback(good[:-1])[0].plain


def test_recent_ports_newest_first_and_bounded(tmp_path: Path) -> None:
    recent = RecentPorts(tmp_path / "deep" / "recent.json")
    assert recent.load() == []
    for n in range(KEEP + 2):
        recent.remember(f"/dev/ttyUSB{n}")
    recent.remember("/dev/ttyUSB3")
    ports = recent.load()
    assert ports[0] == "/dev/ttyUSB3" and len(ports) == KEEP and len(set(ports)) == KEEP
    (tmp_path / "deep" / "recent.json").write_text("{not json")
    assert recent.load() == []


def test_language_from_flag_or_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert i18n.pick_language("zh_CN") == "zh_CN"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.pick_language() == "zh_CN"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.setenv("LC_ALL", "C")
    assert i18n.pick_language() == "en"
    with pytest.raises(ValueError):
        i18n.pick_language("fr")


# --- the services' errors are coded messages, shown in the interface language -------------------

ROOT = TUI.parent.parent
NOT_SENTENCES: dict[str, set[str] | None] = {
    # module: the top-level names whose strings are not sentences for a person (None: all)
    # main: English help without the catalogue (test_cold_start), and a bug's own words
    "safetool/cli/main.py": {"COMMANDS", "_internal_error"},
    "safetool/services/ports.py": {"SERVICE_CABLE_BRIDGES"},  # chip names: data
    "safetool/tui/diag_texts.py": None,  # Rich styles ("bold red")
    "safetool/tui/widgets/lock_panel.py": None,  # Rich styles
    "safetool/authority/devpostgres.py": None,  # the test suite's PostgreSQL, for developers
    "safetool/services/devpki.py": {"DEV_SERVICE_CENTRE"},  # a name in both languages: data
    "safetool/authority/desk_http.py": None,  # HTTP headers' values: data
}
"""Every other module of safetool is read whole: what its errors say must be coded."""


def _service_sources() -> dict[str, set[str] | None]:
    """Each module to read, with the names to skip (None: the whole module is skipped)."""
    return {
        str(path.relative_to(ROOT)): NOT_SENTENCES.get(str(path.relative_to(ROOT)), set())
        for path in sorted((ROOT / "safetool").rglob("*.py"))
        if NOT_SENTENCES.get(str(path.relative_to(ROOT)), set()) is not None
    }


def _error_classes() -> set[str]:
    import safetool.authority.errors
    import safetool.client.secure
    import safetool.identity
    import safetool.services.audit
    import safetool.services.diagnostics.model_data
    import safetool.services.firmware_install
    import safetool.services.visits
    import safetool.transport.ble_errors  # noqa: F401  (their classes register as subclasses)
    from safetool.errors import SafetoolError

    found, todo = set(), [SafetoolError]
    while todo:
        kind = todo.pop()
        found.add(kind.__name__)
        todo += kind.__subclasses__()
    return found


def _shape(node: object) -> str | None:
    """A literal or f-string with each value as ``{}``; ``None`` for anything else."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) else "{}"
            for v in node.values  # type: ignore[misc]
        )
    return None


def service_sentences() -> set[str]:
    """Every sentence the services above put in a SafetoolError (what happened, what it means,
    what to do), and the sentences of their reason tables, as shapes."""
    import ast

    errors = _error_classes()
    sentences: set[str] = set()
    for relative, skipped in _service_sources().items():
        tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
        parts: list[ast.AST] = []
        for top in tree.body:
            names = (
                {top.name}
                if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                else {t.id for t in getattr(top, "targets", [getattr(top, "target", None)])
                      if isinstance(t, ast.Name)}
            )  # fmt: skip
            if not names & (skipped or set()):
                parts.append(top)
        for node in (n for part in parts for n in ast.walk(part)):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name not in errors and name != "__init__":
                    continue
                texts = node.args[:1] + [
                    k.value for k in node.keywords if k.arg in ("message", "meaning", "next_step")
                ]
                sentences |= {s for s in map(_shape, texts) if s and " " in s}
            elif isinstance(node, ast.Dict):
                for value in node.values:
                    items = value.elts if isinstance(value, ast.Tuple) else [value]
                    sentences |= {s for s in map(_shape, items) if s and " " in s.strip()}
    return sentences


def test_the_services_errors_are_coded_messages_not_english_prose() -> None:
    # Every error safetool raises carries its three parts as catalogue keys, so the app, the
    # CLI and JSON word them alike; English prose here would show English in Chinese.
    assert sorted(service_sentences()) == []
    assert len(_service_sources()) > 100  # the whole of safetool is read, not a few modules


def test_the_scan_for_english_prose_finds_it(tmp_path: Path) -> None:
    import ast

    sample = ast.parse(
        'raise SafetoolError(f"{port} is gone.", next_step="Plug it in again.")\n'
        'REASONS = {1: ("the bolt is moving", "Wait a moment.")}\n'
    )
    calls = [n for n in ast.walk(sample) if isinstance(n, ast.Call)]
    assert _shape(calls[0].args[0]) == "{} is gone."
    assert _shape(calls[0].keywords[0].value) == "Plug it in again."


def _has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


async def test_service_errors_show_in_chinese_values_and_causes_included() -> None:
    from types import SimpleNamespace

    from protocols.catalogue import BoltState, ErrorCode, LockState
    from safetool.client.errors import LockRefused
    from safetool.messages import Message
    from safetool.services import firmware_install
    from safetool.transport import LinkLost
    from safetool.transport.ble_errors import not_found
    from safetool.transport.serial_port import describe_open_error
    from safetool.tui.widgets.error_note import explain

    plan = SimpleNamespace(serial="SL-0000-0001", battery_mv=4900)
    errors: list[Exception] = [
        describe_open_error("/dev/ttyUSB9", FileNotFoundError(2, "No such file or directory")),
        not_found("SL-0000-0042", 10),
        LockRefused(ErrorCode.NOT_ALLOWED, "needs the firmware qualification", "FirmwareStatus"),
    ]
    for check in (
        lambda: firmware_install._check_battery(plan, 5200),  # type: ignore[arg-type]
        lambda: firmware_install._check_lock_state(
            plan,  # type: ignore[arg-type]
            LockState.HARD_LOCKOUT,
            BoltState.EXTENDED,
        ),
    ):
        with pytest.raises(firmware_install.InstallRefused) as refused:
            check()
        errors.append(refused.value)

    async def cable_pulled() -> None:
        raise LinkLost(
            Message("link.lost", {"url": "/dev/ttyUSB0", "detail": ""}),
            meaning=Message("link.lost.meaning"),
        )

    outcome = SimpleNamespace(serial="SL-0000-0001", attempts=1)
    with pytest.raises(firmware_install.InstallFailed) as failed:
        await firmware_install._with_resume(None, None, 0, outcome, cable_pulled)  # type: ignore[arg-type]
    errors.append(failed.value)

    for error in errors:
        assert explain(error) == error.explain()  # English: as the CLI says it
    i18n.set_language("zh_CN")
    texts = [explain(error) for error in errors]
    for error, text in zip(errors, texts, strict=True):
        for line in text.splitlines():
            assert _has_chinese(line), (error.explain(), text)
    assert "/dev/ttyUSB9" in texts[0] and "没有串口" in texts[0]
    assert "电池 4.90 V" in texts[3] and "至少需要 5.20 V" in texts[3]
    assert "锁处于硬锁定" in texts[4] and "safetool recover" in texts[4]
    # the cause of the interruption, itself a service sentence, is translated inside
    assert "安装被中断：与 /dev/ttyUSB0 上的锁的连接已断开。" in texts[5]


def test_typed_response_is_echoed_in_threes_as_the_hotline_reads_it() -> None:
    from safetool.tui.widgets.response_input import feedback

    shown, ready = feedback("1234567")
    assert shown.plain.startswith("123 456 7") and not ready
