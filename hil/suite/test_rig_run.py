"""One rig run over the network: a board's serial port shared over RFC 2217 (pyserial's own
RFC 2217 server, ``hil.rfc2217``, where a lab would run ser2net), its power on a relay command,
and ``pytest hil/ --rig rig.toml --transport rfc2217`` run against it as a lab would."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.suite.served import outcomes, run_pytest, served_board

pytestmark = pytest.mark.timeout(300)

LABEL = "rig bench-net/lock-a SL-0000-0001 over rfc2217"


async def test_the_suite_runs_against_a_board_shared_over_rfc2217(
    request: pytest.FixtureRequest, pki: Path, tmp_path: Path
) -> None:
    if request.config.getoption("hil_rig", None) or request.config.getoption("lg_env", None):
        pytest.skip("starts its own shared board and rig file; not under --rig/--lg-env")
    async with served_board(pki, tmp_path) as board:
        rig = board.rig(tmp_path / "rig.toml")
        junit = tmp_path / "junit.xml"
        run = run_pytest(
            "hil/suite/test_basics.py",
            "hil/suite/test_labgrid.py",
            "hil/suite/test_firmware.py",
            "--rig",
            str(rig),
            "--transport",
            "rfc2217",
            "-k",
            "basics or power_cycle_boots_again or newer_and_older or below_the_floor",
            "--junitxml",
            str(junit),
            timeout=240,
        )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    got = outcomes(junit)
    for name in (
        "test_identify[rfc2217]",
        "test_status[rfc2217]",
        "test_newer_and_older_install_the_same_way[rfc2217]",
        "test_below_the_floor_is_refused_before_any_image_byte[rfc2217]",
    ):
        assert got[name] == ("passed", LABEL), got
    # the power goes through the rig's relay command, the console kept open across it
    assert got["test_power_cycle_boots_again[rfc2217]"] == ("passed", LABEL), got
    outcome, reason = got["test_events_arrive_in_order[rfc2217]"]
    assert outcome == "skipped" and "needs keys" in reason and "bench-net" in reason, got
