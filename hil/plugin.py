"""pytest plugin: boards (emulated or from a rig), faults, measurements and reports.

Fixture names avoid labgrid's (``env``, ``target``, ``strategy``) so both plugins can load.

* ``board_factory`` — ``await board_factory("--baud", "115200")`` starts an emulated board
  process (each with its own state directory unless one is given) and stops it after the test;
  in a test marked ``in_memory``, a board in the test's own event loop instead
  (``memory://``, :mod:`hil.inloop`), with the loop's clock fast-forwarded by looptime.
* ``board`` — one started board in factory state; ``board.port`` for the tool,
  ``board.board`` for the side channel (keys, door, battery, faults).
* ``lock`` — a :class:`hil.lock_handle.Lock`: connected client to a provisioned board in factory
  state, over the link of ``--transport`` (emulated, or from ``--rig``); ``fresh_board`` the
  same unprovisioned; ``boards`` starts more; ``pki``, ``faults``, ``measure``.

docs/hil.md has the options, markers, rig file format and reports.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from pathlib import Path

import looptime
import pytest
import pytest_asyncio

from firmware.process import EmulatedBoard
from hil import campaign, capabilities, html_report, link_trace
from hil.faults import Faults
from hil.forked import ForkedEmulator
from hil.inloop import EmulatorInLoop
from hil.labgrid_boards import LabgridBench, LabgridSetupError, labgrid_installed
from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.options import add_options, selected_transports
from hil.pool import Boards, lab_call
from hil.results import BOARD_PROPERTY, Results
from hil.rig import Rig, RigFileError, load_rig
from hil.targets import target_lines

BoardFactory = Callable[..., Awaitable[EmulatedBoard]]

IN_MEMORY_END_S = 2 * 3600.0
"""An in_memory test still waiting after two hours of its clock is stuck (a board it cannot
reach, say a process asked for a ``memory://`` port): its tasks fail then, in seconds."""


def _fast_forwarded_loop() -> asyncio.AbstractEventLoop:
    """The loop of an ``in_memory`` test, its fixtures and teardown included: looptime's, whose
    clock jumps to the next timer as soon as every task waits (after one idle turn, not
    looptime's default 42: the board's 20 ms tick would cost 42 turns each). Its steps are
    nanoseconds, asyncio's own resolution: with looptime's default microseconds, a timer due
    less than half a microsecond ahead is neither due for asyncio nor a step for looptime, and
    the clock would never move again."""
    return looptime.new_event_loop(noop_cycles=1, resolution=1e-9, end=IN_MEMORY_END_S)


RIG_KEY = pytest.StashKey[Rig | None]()
RESULTS_KEY = pytest.StashKey[Results]()
LAB_KEY = pytest.StashKey[LabgridBench | None]()
LABGRID_EXTRA = "python3 -m venv .venv-labgrid && .venv-labgrid/bin/pip install -e '.[dev,labgrid]'"


# --- what tests/ has always used ----------------------------------------------------------------


@pytest_asyncio.fixture
async def board_factory(
    tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[BoardFactory]:
    started: list[EmulatedBoard] = []
    in_memory = _in_memory(request.node)

    async def start(*args: str, state_dir: Path | None = None) -> EmulatedBoard:
        directory = state_dir or tmp_path / f"board-{len(started)}"
        kind = EmulatorInLoop if in_memory else ForkedEmulator
        emulator = kind(*args, state_dir=directory)
        started.append(emulator)
        return await emulator.start()

    yield start
    for emulator in started:
        await emulator.stop()


@pytest_asyncio.fixture
async def board(board_factory: BoardFactory) -> EmulatedBoard:
    return await board_factory()


# --- the HIL suite's fixtures ------------------------------------------------------------------


@pytest.fixture(scope="session")
def pki(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test PKI: generated per worker for emulated boards; the rig's own with ``--rig``."""
    lab = request.config.stash.get(LAB_KEY, None)
    if lab is not None:
        if lab.pki is None:
            pytest.skip(f"labgrid {lab.name} names no paths: {{safetool_pki: DIR}} (its PKI)")
        return lab.pki
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
    lab = request.config.stash.get(LAB_KEY, None)
    pool = Boards(tmp_path, hil_transport, pki, rig, capabilities.needed(request.node), lab)
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


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    # labgrid's plugin (loaded with labgrid) registers --lg-env itself; twice would clash
    add_options(
        parser, labgrid_plugin=labgrid_installed() and not pluginmanager.is_blocked("labgrid")
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hil: a hardware-in-the-loop scenario")
    config.addinivalue_line(
        "markers", "needs(*capabilities): skip (with the reason) where the board lacks one"
    )
    config.addinivalue_line("markers", "any_link: board behaviour; runs over one link only")
    config.addinivalue_line(
        "markers", "conformance: a numbered board requirement of SPEC.md (-m conformance)"
    )
    config.addinivalue_line("markers", "campaign(name): a trial of --campaign name")
    config.addinivalue_line(
        "markers", "long_first: a test of minutes, started before the others (xdist)"
    )
    # looptime is used as a library here (the loop factory above puts a whole in_memory test,
    # fixtures included, on its clock); its own plugin would switch that loop to the true clock
    # for the fixtures, and timers set there would then lie hours ahead of the test's clock.
    if config.pluginmanager.has_plugin("looptime_plugin"):
        config.pluginmanager.unregister(name="looptime_plugin")
    config.addinivalue_line(
        "markers",
        "in_memory: the tool and its emulated boards in one event loop on fast-forwarded time",
    )
    config.addinivalue_line(
        "markers", "board_process: boards in their own processes, in an in_memory module"
    )
    if config.getoption("dist", "no") == "worksteal" and _runs_hil(config):
        # long_first needs the tests handed out in order, the long ones each to its own worker
        # first; worksteal (pyproject.toml's default, for tests/) gives each worker a block of
        # them, the long ones all to the first
        config.option.dist = "load"
    rig_file = config.getoption("hil_rig", None)
    config.stash[LAB_KEY] = _labgrid_bench(config, rig_file)
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


@pytest.hookimpl
def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """pytest-asyncio's loop for each test: fast-forwarded for ``in_memory`` ones and for the
    suite's over ``--transport memory``."""
    if _in_memory(item) or _over_memory(item):
        return {"fast_clock": _fast_forwarded_loop}
    return {"true_clock": asyncio.new_event_loop}


def _over_memory(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("hil_transport") == capabilities.MEMORY


def _in_memory(item: pytest.Item) -> bool:
    """Marked ``in_memory`` (a module may be) and not ``board_process`` (a test of it may be)."""
    return bool(item.get_closest_marker("in_memory")) and not item.get_closest_marker(
        "board_process"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    campaign.select(config, items)
    # the longest tests first: xdist hands tests out in this order, and one started last would
    # keep its worker busy long after the others are done
    items.sort(key=lambda item: item.get_closest_marker("long_first") is None)
    duration: float = config.getoption("hil_duration_s")
    for item in items:  # a campaign trial without its own time limit gets the soak's and more
        if item.get_closest_marker("campaign") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(duration + 120))


def pytest_runtest_setup(item: pytest.Item) -> None:
    needs = capabilities.needed(item)
    if not needs:
        return
    rig = item.config.stash.get(RIG_KEY, None)
    lab = item.config.stash.get(LAB_KEY, None)
    if lab is not None:
        provided, where = lab_call(LabgridBench.provides, lab), f"labgrid {lab.name}"
    elif rig is not None:
        provided, where = rig.provides(), f"rig {rig.name}"
    else:
        provided, where = capabilities.EMULATED, "emulated boards"
    lacking = capabilities.missing(needs, provided)
    if lacking:
        pytest.skip(f"needs {', '.join(lacking)}: {where} cannot")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that fails in its setup or body shows what its links carried last."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        text = link_trace.report_text()
        if text:
            report.sections.append(("link trace", text))
    if report.when == "teardown":
        link_trace.forget()
    return report


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


def _labgrid_bench(config: pytest.Config, rig_file: str | None) -> LabgridBench | None:
    """The labgrid environment of ``--lg-env`` (or ``LG_ENV``, as labgrid reads it), read now;
    its places are acquired at the first test that needs a board and released at the end."""
    env_file: str | None = config.getoption("lg_env", None)
    if not labgrid_installed():
        if env_file:
            raise pytest.UsageError(
                "--lg-env needs labgrid, which is not installed here. labgrid pins its own "
                f"pyserial fork, so install the extra in its own environment: {LABGRID_EXTRA} "
                "(docs/hil.md, 'labgrid')"
            )
        return None
    if config.pluginmanager.is_blocked("labgrid"):
        return None  # -p no:labgrid: our --lg-env gave the error above if it was used
    env_file = env_file or os.environ.get("LG_ENV") or None
    if not env_file:
        return None
    if rig_file:
        raise pytest.UsageError("give --rig or --lg-env, not both")
    workers = config.getoption("numprocesses", None)
    if workers not in (None, 0, "0") or hasattr(config, "workerinput"):
        raise pytest.UsageError("--lg-env shares its places with no one: run it without -n")
    bench = LabgridBench(env_file, config.getoption("lg_coordinator", None))
    try:
        bench.load()
    except LabgridSetupError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.add_cleanup(bench.close)  # runs after failures and Ctrl-C too
    return bench


def _runs_hil(config: pytest.Config) -> bool:
    """Whether the command names the HIL suite (or a part of it)."""
    hil_root = config.rootpath / "hil"
    return any(Path(arg.split("::")[0]).resolve().is_relative_to(hil_root) for arg in config.args)


def _is_hil(nodeid: str) -> bool:
    return nodeid.startswith("hil/") or "/hil/suite/" in nodeid


def _targets(config: pytest.Config, results: Results) -> list[str]:
    return target_lines(results, campaign.run_seed(config), config.getoption("hil_campaign"))
