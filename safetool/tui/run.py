"""Starting the app: from the CLI (``safetool``, ``safetool tui``) or on an emulated board
(``safetool demo``)."""

from __future__ import annotations

from pathlib import Path

from safetool.services.session import DEFAULT_BAUD
from safetool.tui.backend import Backend, ServiceBackend
from safetool.tui.i18n import pick_language


async def run_tui(
    *,
    port: str = "",
    technician: Path | str | None = None,
    language: str | None = None,
    backend: Backend | None = None,
    baudrate: int | None = None,
    authority_url: str | None = None,
    demo: bool = False,
) -> int:
    """Run the app until the technician quits; 0 when it ended normally. ``authority_url``
    (default: ``$SAFETOOL_AUTHORITY``) offers online recovery."""
    from safetool.tui.app import SafetoolApp  # Textual loads only when the app is wanted

    if backend is None:
        backend = ServiceBackend(
            technician, baudrate=baudrate or DEFAULT_BAUD, authority_url=authority_url
        )
    app = SafetoolApp(backend, port=port, language=pick_language(language), demo=demo)
    await app.run_async()
    return app.return_code or 0


DEMO_TECHNICIAN = "T-1001"
HARD_LOCKOUT = "hard_lockout"


async def run_demo_tui(
    *, fault: str | None = None, language: str | None = None, emulator_args: list[str] | None = None
) -> int:
    """Start an emulated board provisioned from a throw-away development PKI, optionally
    with a fault (a side-channel fault name, or ``hard_lockout``), and open the app on it."""
    import tempfile

    from safetool.emulator import EmulatorProcess
    from safetool.services.devpki import init_dev_pki

    with tempfile.TemporaryDirectory(prefix="safetool-demo-") as folder:
        pki = Path(folder) / "pki"
        init_dev_pki(pki)
        args = ["--pki", str(pki), *(emulator_args or [])]
        async with EmulatorProcess(*args, state_dir=Path(folder) / "board") as emulator:
            if fault == HARD_LOCKOUT:
                for _ in range(3):  # three penalty lockouts in a row, as at a burglar's hands
                    for _ in range(5):
                        await emulator.board.enter_code(code="999999")
                    await emulator.board.advance_clock(seconds=301)
            elif fault:
                await emulator.board.set_fault(name=fault)
            return await run_tui(
                port=emulator.port,
                technician=pki / "technicians" / DEMO_TECHNICIAN,
                language=language,
                demo=True,
            )
