"""``--campaign power-cut``: power cut during firmware installs, as MCUboot's simulator and
littlefs's power-cycle tests do it.

* **Every flash operation**: one reference install counts its flash operations (page erases,
  page programs, record and boot-state writes, the reboot and the confirmation included); then
  one trial cuts power during each of them, 1 … N.
* **Every flash operation of a delta install** (SPEC.md 20.5): the same, for a patch from the
  running image to two patch releases of it, installed in turn (each trial goes back to the
  base by a switch-back, so the next is a delta again).
* **Random transfer bytes**: ``--trials N`` cuts (default 200) at a byte drawn from the trial's
  seed (``--seed S -k <trial>`` replays it).

After each cut the board must boot a valid image (the old or the new one) and answer IDENTIFY,
with its wrong-code counter (kept in the same store as its configuration) and its audit trail
intact; then the same install run
again must finish (resuming) with the new image confirmed. A board that fails that is bricked.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from hil.campaign import trial_rng
from hil.images import build_test_image
from hil.lock_handle import Lock, connect
from hil.measure import Recorder, record_cuts
from hil.pool import Boards
from hil.results import CAMPAIGN_PROPERTY, SEED_PROPERTY
from hil.suite.helpers import technician, wrong_codes
from protocols.firmware_image import Image, parse_image
from safetool.errors import SafetoolError
from safetool.services.firmware_install import install, plan_install
from safetool.services.firmware_status import firmware_status

pytestmark = [
    pytest.mark.campaign("power-cut"),
    pytest.mark.needs("power_cut", "keys", "pki"),
    pytest.mark.timeout(900),  # many installs in one test
]

DEFAULT_TRIALS = 200
GROUPS = 8
"""Random trials run as this many tests, so pytest-xdist spreads them over the workers."""
PAYLOAD_BYTES = 10 * 1024


@pytest.fixture(scope="module")
def images(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Image, Image]:
    """Two releases of the same size and counter: trials install them in turn."""
    root = tmp_path_factory.mktemp("power-cut")
    made = [
        parse_image(build_test_image(pki, root, v, os.urandom(PAYLOAD_BYTES), v).read_bytes())
        for v in ("2.4.0", "2.5.0")
    ]
    return made[0], made[1]


@dataclass(slots=True)
class Bench:
    lock: Lock
    pki: Path
    images: tuple[Image, Image]
    wrong_codes: int = 0
    audit_entries: int = 0

    async def install(self, image: Image, retries: int, base: Image | None = None) -> bool:
        """Install ``image`` (as a patch from ``base`` when the lock runs it); whether it went
        as a delta."""
        me = technician(self.pki)
        client = self.lock.client
        plan = await plan_install(
            client,
            me,
            image,
            port=self.lock.port,
            source="campaign",
            bases=None if base is None else (lambda version, size: [base]),
        )
        await install(client, me, image, plan, retries=retries)
        return plan.delta is not None

    async def remember(self) -> None:
        state = await self.lock.state()
        self.wrong_codes = state["wrong_code_count"]
        self.audit_entries = (await self.lock.board.counters())["audit_entries"]

    async def survived(self, expected: set[str]) -> str | None:
        """``None`` if the board is sound after the cut, else what is wrong with it."""
        try:
            await self.lock.client.close()
            self.lock.client = await connect(self.lock.port, attempts=5)
            version = (await self.lock.client.identify()).firmware_version
            status = await firmware_status(self.lock.client, technician(self.pki))
        except SafetoolError as error:
            return f"no answer after the cut: {error.message}"
        if version not in expected:
            return f"runs {version}, expected one of {sorted(expected)}"
        if status.active_slot is not None and status.slot(status.active_slot).state not in (
            "valid",
            "trial",
        ):
            return f"runs slot {status.active_slot} holding an invalid image"
        state = await self.lock.state()
        if state["wrong_code_count"] != self.wrong_codes:
            return f"wrong-code counter {state['wrong_code_count']}, was {self.wrong_codes}"
        if (await self.lock.board.counters())["audit_entries"] < self.audit_entries:
            return "the audit trail lost entries"
        return None


async def _bench(boards: Boards, pki: Path, images: tuple[Image, Image]) -> Bench:
    lock = await boards.start()
    await wrong_codes(lock, 2)  # counted state that must survive every cut
    bench = Bench(lock, pki, images)
    await bench.remember()
    return bench


async def _trial(
    bench: Bench, target: Image, other: Image, arm: dict[str, int], base: Image | None = None
) -> str | None:
    """Arm the cut, install, check the board, finish the install; the failure if any."""
    await bench.lock.board.power_cut(**arm)
    with contextlib.suppress(SafetoolError):  # the cut interrupted it, as intended
        await bench.install(target, retries=0, base=base)
    await bench.lock.board.power_cut(disarm=True)  # if the install ended before the cut
    problem = await bench.survived({str(target.version), str(other.version)})
    if problem is not None:
        return problem
    try:
        await bench.install(target, retries=2, base=base)
    except SafetoolError as error:
        return f"the install could not be finished after the cut: {error.message}"
    version = (await bench.lock.client.identify()).firmware_version
    if version != str(target.version):
        return f"after finishing it runs {version}"
    await bench.remember()
    return None


async def test_power_cut_at_every_flash_operation_of_an_install(
    request: pytest.FixtureRequest,
    boards: Boards,
    pki: Path,
    images: tuple[Image, Image],
    measure: Recorder,
) -> None:
    request.node.user_properties.append((CAMPAIGN_PROPERTY, "power-cut"))
    bench = await _bench(boards, pki, images)
    before = (await bench.lock.board.counters())["operations"]
    await bench.install(images[0], retries=0)
    operations = (await bench.lock.board.counters())["operations"] - before
    await bench.remember()
    failures: list[str] = []
    for k in range(1, operations + 1):
        target, other = (images[1], images[0]) if k % 2 else (images[0], images[1])
        problem = await _trial(bench, target, other, {"at_flash_op": k})
        if problem is not None:
            failures.append(f"flash operation {k}: {problem}")
    measure("flash_operations", operations, "per install", check=False)
    record_cuts(measure, operations, failures)


@pytest.fixture(scope="module")
def patch_releases(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Image, ...]:
    """2.4.0 and two patch releases of it (2.4.1, 2.4.2: a few runs of bytes changed)."""
    root = tmp_path_factory.mktemp("power-cut-delta")
    base = os.urandom(PAYLOAD_BYTES * 2)
    made = []
    for number, version in enumerate(("2.4.0", "2.4.1", "2.4.2")):
        payload = bytearray(base)
        for at in range(number * 100, len(payload), 2500):
            payload[at : at + 16] = os.urandom(16)
        path = build_test_image(pki, root, version, bytes(payload) if number else base, version)
        made.append(parse_image(path.read_bytes()))
    return tuple(made)


async def test_power_cut_at_every_flash_operation_of_a_delta_install(
    request: pytest.FixtureRequest,
    boards: Boards,
    pki: Path,
    patch_releases: tuple[Image, ...],
    measure: Recorder,
) -> None:
    request.node.user_properties.append((CAMPAIGN_PROPERTY, "power-cut"))
    base, *targets = patch_releases
    bench = await _bench(boards, pki, (base, targets[0]))
    await bench.install(base, retries=0)
    before = (await bench.lock.board.counters())["operations"]
    assert await bench.install(targets[0], retries=0, base=base), "not a delta"
    operations = (await bench.lock.board.counters())["operations"] - before
    await bench.install(base, retries=0)  # back, by a switch-back: the next is a delta again
    await bench.remember()
    failures: list[str] = []
    for k in range(1, operations + 1):
        target = targets[k % 2]
        problem = await _trial(bench, target, base, {"at_flash_op": k}, base=base)
        if problem is None:
            await bench.install(base, retries=2)
            await bench.remember()
        else:
            failures.append(f"flash operation {k} of a delta install: {problem}")
            break  # the board is in an unknown state: the next trials would say nothing
    measure("delta_flash_operations", operations, "per install", check=False)
    record_cuts(measure, operations, failures)


@pytest.mark.parametrize("group", range(GROUPS))
async def test_power_cut_at_random_transfer_bytes(
    request: pytest.FixtureRequest,
    boards: Boards,
    pki: Path,
    images: tuple[Image, Image],
    hil_seed: int,
    group: int,
    measure: Recorder,
) -> None:
    trials: int = request.config.getoption("hil_trials") or DEFAULT_TRIALS
    mine = range(group, trials, GROUPS)
    request.node.user_properties += [(CAMPAIGN_PROPERTY, "power-cut"), (SEED_PROPERTY, hil_seed)]
    bench = await _bench(boards, pki, images)
    before = (await bench.lock.board.counters())["bytes_in"]
    await bench.install(images[0], retries=0)
    install_bytes = (await bench.lock.board.counters())["bytes_in"] - before
    await bench.remember()
    failures: list[str] = []
    for count, trial in enumerate(mine):
        rng = trial_rng(hil_seed, f"power-cut#{trial}")
        at_byte = rng.randrange(install_bytes)
        target, other = (images[1], images[0]) if count % 2 == 0 else (images[0], images[1])
        problem = await _trial(bench, target, other, {"at_byte": at_byte})
        if problem is not None:
            failures.append(f"trial {trial} (byte {at_byte}, --seed {hil_seed}): {problem}")
    measure("install_wire_bytes", install_bytes, "B", check=False)
    record_cuts(measure, len(mine), failures)
