"""The Connect screen's Bluetooth locks, against the emulated BLE board (a Bumble controller
reached through ``SAFETOOL_BLE_HCI``; real scanning, connection and GATT), in English and in
Chinese; and what the list says in place when Bluetooth cannot be used."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from hil.plugin import BoardFactory
from safetool.services.devpki import init_dev_pki
from safetool.transport.ble_backend_bumble import HCI_ENV
from safetool.tui.app import SafetoolApp
from safetool.tui.backend import ServiceBackend
from safetool.tui.i18n import set_language
from safetool.tui.recent import RecentPorts
from safetool.tui.screens.connect import ConnectScreen
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.widgets.lock_panel import LockPanel
from safetool.tui.widgets.port_list import PortList
from tests.tui_support import flow_in, shown, wait_until

UNUSABLE = {
    "en": "Bluetooth cannot be used: The Bluetooth controller named by",
    "zh_CN": "无法使用蓝牙：SAFETOOL_BLE_HCI=tcp-client:127.0.0.1:1 指定的蓝牙控制器无法使用",
}
FIX = {"en": "What to do: Start the emulated board", "zh_CN": "处理办法：启动模拟主板"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tui-ble") / "pki"
    init_dev_pki(directory)
    return directory


@pytest_asyncio.fixture(autouse=True)
async def english_afterwards() -> AsyncIterator[None]:
    yield
    set_language("en")


def make_app(pki: Path, tmp_path: Path, language: str) -> SafetoolApp:
    backend = ServiceBackend(pki / "technicians" / "T-1001", data_folder=tmp_path)
    return SafetoolApp(backend, language=language, recent=RecentPorts(tmp_path / "recent.json"))


def listed(ports: PortList) -> str:
    """Every line of the list, scrolled into view or not (a CI box has many ttyS ports)."""
    return "\n".join(str(option.prompt) for option in ports.options)


def ble_options(ports: PortList) -> list[str]:
    return [o.id or "" for o in ports.options if (o.id or "").startswith("found:ble:")]


@flow_in("zh_CN")
async def test_a_lock_seen_over_bluetooth_is_listed_and_connects(
    pki: Path,
    board_factory: BoardFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    language: str,
) -> None:
    board = await board_factory("--ble", "--pki", str(pki))
    monkeypatch.setenv(HCI_ENV, board.ready["hci"])
    app = make_app(pki, tmp_path, language)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ConnectScreen)
        ports = screen.query_one(PortList)
        await wait_until(pilot, lambda: bool(ble_options(ports)), timeout_s=20, what="BLE lock")
        assert "★ ble:SL-0000-0001  SL-100" in listed(ports)
        ports.focus()
        ports.highlighted = next(
            i for i, o in enumerate(ports.options) if (o.id or "").startswith("found:ble:")
        )
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, DashboardScreen), timeout_s=30, what="dashboard"
        )
        assert app.link is not None and app.link.port.startswith("ble:")
        panel = app.screen.query_one(LockPanel)
        await wait_until(pilot, lambda: "SL-0000-0001" in shown(panel), timeout_s=30)
        await pilot.press("ctrl+q")


@flow_in("en")
async def test_without_bluetooth_the_list_says_why_in_place(
    pki: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, language: str
) -> None:
    monkeypatch.setenv(HCI_ENV, "tcp-client:127.0.0.1:1")  # nothing there: no radio
    app = make_app(pki, tmp_path, language)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ConnectScreen)
        ports = screen.query_one(PortList)
        await wait_until(pilot, lambda: screen.ble_error is not None, timeout_s=15, what="error")
        text = listed(ports).replace("\n", "")
        assert UNUSABLE[language] in text and FIX[language] in text
        assert not ble_options(ports)
        await pilot.press("f5")  # the serial list still refreshes; nothing crashed
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConnectScreen)
        await pilot.press("ctrl+q")
