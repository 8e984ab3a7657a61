"""pytest plugin: boards (emulated or from a rig), faults, measurements and reports.

Fixture names avoid labgrid's (``env``, ``target``, ``strategy``) so both plugins can load.

* ``board_factory`` — ``await board_factory("--baud", "115200")`` starts an emulated board
  process (each with its own state directory unless one is given) and stops it after the test.
* ``board`` — one started board in factory state; ``board.port`` for the tool,
  ``board.board`` for the side channel (keys, door, battery, faults).
* ``lock`` — a :class:`hil.lock_handle.Lock`: connected client to a provisioned board in factory
  state, over the link of ``--transport`` (emulated, or from ``--rig``); ``fresh_board`` the
  same unprovisioned; ``boards`` starts more; ``pki``, ``faults``, ``measure``.

docs/hil.md has the options, markers, rig file format and reports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from firmware.process import EmulatorProcess
from hil import campaign, capabilities, html_report
from hil.faults import Faults
from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.options import add_options, selected_transports
from hil.pool import Boards
from hil.results import BOARD_PROPERTY, Results
from hil.rig import Rig, RigFileError, load_rig
from hil.targets import target_lines

BoardFactory = Callable[..., Awaitable[EmulatorProcess]]

RIG_KEY = pytest.StashKey[Rig | None]()
RESULTS_KEY = pytest.StashKey[Results]()


# --- what tests/ has always used ----------------------------------------------------------------


@pytest_asyncio.fixture
async def board_factory(tmp_path: Path) -> AsyncIterator[BoardFactory]:
    started: list[EmulatorProcess] = []

    async def start(*args: str, state_dir: Path | None = None) -> EmulatorProcess:
        directory = state_dir or tmp_path / f"board-{len(started)}"
        emulator = EmulatorProcess(*args, state_dir=directory)
        started.append(emulator)
        return await emulator.start()

    yield start
    for emulator in started:
        await emulator.stop()


@pytest_asyncio.fixture
async def board(board_factory: BoardFactory) -> EmulatorProcess:
    return await board_factory()


# --- the HIL suite's fixtures ------------------------------------------------------------------


@pytest.fixture(scope="session")
def pki(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test PKI: generated per worker for emulated boards; the rig's own with ``--rig``."""
    rig = request.config.stash.get(RIG_KEY, None)
    if rig is not None:
        if rig.pki is None:
            pytest.skip(f"rig {rig.name} names no pki folder (its boards' authority)")
        return rig.pki
    from safetool.services.devpki import init_dev_pki

    directory = tmp_path_factory.mktemp("hil-pki") / "pki"
    init_dev_pki(directory)
    return directory


@pytest.fixture
def hil_transport(request: pytest.FixtureRequest) -> str:
    """The link this test item runs over (parametrized from ``--transport``)."""
    return str(getattr(request, "param", selected_transports(request.config)[0]))


@pytest_asyncio.fixture
async def boards(
    request: pytest.FixtureRequest, tmp_path: Path, hil_transport: str, pki: Path
) -> AsyncIterator[Boards]:
    rig = request.config.stash.get(RIG_KEY, None)
    pool = Boards(tmp_path, hil_transport, pki, rig, capabilities.needed(request.node))
    try:
        yield pool
    finally:
        await pool.stop()


@pytest_asyncio.fixture
async def lock(request: pytest.FixtureRequest, boards: Boards) -> Lock:
    """A connected client to a provisioned board in factory state."""
    started = await boards.start()
    request.node.user_properties.append((BOARD_PROPERTY, started.label))
    return started


@pytest_asyncio.fixture
async def fresh_board(request: pytest.FixtureRequest, boards: Boards) -> Lock:
    """A board as it leaves the factory line: factory codes, not provisioned."""
    started = await boards.start(provisioned=False)
    request.node.user_properties.append((BOARD_PROPERTY, started.label))
    return started


@pytest.fixture
def faults(lock: Lock, boards: Boards) -> Faults:
    return Faults(lock, boards.rig_board(lock))


@pytest.fixture
def measure(request: pytest.FixtureRequest) -> Recorder:
    return Recorder(request.node.user_properties)


@pytest.fixture
def hil_seed(request: pytest.FixtureRequest) -> int:
    return campaign.run_seed(request.config)


# --- hooks ---------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hil: a hardware-in-the-loop scenario")
    config.addinivalue_line(
        "markers", "needs(*capabilities): skip (with the reason) where the board lacks one"
    )
    config.addinivalue_line("markers", "any_link: board behaviour; runs over one link only")
    config.addinivalue_line("markers", "campaign(name): a trial of --campaign name")
    if config.getoption("hil_lg_env", None):
        raise pytest.UsageError(
            "--lg-env (labgrid) is not yet supported; use --rig FILE (docs/hil.md, 'labgrid')"
        )
    rig_file = config.getoption("hil_rig", None)
    try:
        config.stash[RIG_KEY] = load_rig(Path(rig_file)) if rig_file else None
    except RigFileError as exc:
        raise pytest.UsageError(str(exc)) from None
    campaign.run_seed(config)
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        results = Results()
        config.stash[RESULTS_KEY] = results
        config.pluginmanager.register(results, "hil-results")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "hil_transport" not in metafunc.fixturenames:
        return
    chosen = selected_transports(metafunc.config)
    wanted = [
        n.split(":", 1)[1]
        for n in capabilities.needed_of(metafunc.definition)
        if n.startswith("transport:")
    ]
    if wanted:
        params = [
            pytest.param(t)
            if t in chosen
            else pytest.param(
                t, marks=pytest.mark.skip(reason=f"runs over {t} only; this run: {chosen}")
            )
            for t in wanted
        ]
    elif metafunc.definition.get_closest_marker("any_link") is not None:
        params = [pytest.param(chosen[0])]
    else:
        params = [pytest.param(t) for t in chosen]
    metafunc.parametrize("hil_transport", params, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    campaign.select(config, items)
    duration: float = config.getoption("hil_duration_s")
    for item in items:
        if item.get_closest_marker("campaign") is not None:
            item.add_marker(pytest.mark.timeout(duration + 120))


def pytest_runtest_setup(item: pytest.Item) -> None:
    needs = capabilities.needed(item)
    if not needs:
        return
    rig = item.config.stash.get(RIG_KEY, None)
    provided = capabilities.EMULATED if rig is None else rig.provides()
    lacking = capabilities.missing(needs, provided)
    if lacking:
        where = "emulated boards" if rig is None else f"rig {rig.name}"
        pytest.skip(f"needs {', '.join(lacking)}: {where} cannot")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    results = config.stash.get(RESULTS_KEY, None)
    if results is None:
        return
    lines = _targets(config, results)
    from _pytest.junitxml import xml_key  # suite-level properties (controller side)

    xml = config.stash.get(xml_key, None)
    if xml is not None and results.tests:
        xml.add_global_property("hil.seed", str(campaign.run_seed(config)))
        xml.add_global_property("hil.transport", config.getoption("hil_transport"))
        xml.add_global_property("hil.suite_time_s", f"{results.elapsed_s:.1f}")
    report = config.getoption("hil_report", None)
    if report:
        html_report.write(Path(report), results, lines)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    results = config.stash.get(RESULTS_KEY, None)
    if results is None or not any(_is_hil(nodeid) for nodeid in results.tests):
        return
    terminalreporter.section("HIL targets")
    for line in _targets(config, results):
        terminalreporter.write_line(line)
    report = config.getoption("hil_report", None)
    if report:
        terminalreporter.write_line(f"HTML report: {report}")


def _is_hil(nodeid: str) -> bool:
    return nodeid.startswith("hil/") or "/hil/suite/" in nodeid


def _targets(config: pytest.Config, results: Results) -> list[str]:
    return target_lines(results, campaign.run_seed(config), config.getoption("hil_campaign"))
