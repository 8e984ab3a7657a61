"""A lock nobody has brought a current revocation list to stops trusting what it last heard
(SPEC.md 11.3, B-11.3.3), and a technician gets a current list from the service centre with
``safetool technician update``: the authority in its own process, the lock in another, the
command line in a third."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hil.plugin import BoardFactory
from protocols.recovery import RevocationList
from tests.process.test_cli import run
from tests.trust_helpers import authority_serving, pki_list

DAY_S = 86_400


def _publish(pki: Path, issued_at: int, next_update: int) -> RevocationList:
    """A list of the PKI's revocations, current only until ``next_update``, in the authority's
    folder and T-1001's (what a laptop synchronised that day carries)."""
    crl = pki_list(pki, issued_at, next_update)
    for folder in (pki / "authority", pki / "technicians" / "T-1001"):
        (folder / "revocations.bin").write_bytes(crl.encode())
    return crl


async def test_a_lock_with_an_out_of_date_list_refuses_until_the_technician_fetches_a_current_one(
    tmp_path: Path, board_factory: BoardFactory
) -> None:
    pki = tmp_path / "pki"
    assert (await run("dev-pki", "init", str(pki)))[0] == 0
    now = int(time.time())
    short = _publish(pki, now, now + DAY_S)  # a list current for a day
    board = await board_factory("--pki", str(pki))
    technician = str(pki / "technicians" / "T-1001")
    config = ("config", "--port", board.port, "--technician", technician, "--json")
    assert (await run(*config))[0] == 0

    await board.board.advance_clock(seconds=2 * DAY_S)  # nobody visits for two days
    code, out, _err = await run(*config)
    refusal = json.loads(out.splitlines()[-1])
    assert code != 0 and not refusal["ok"]
    assert "refused (list_out_of_date)" in refusal["message"]
    assert refusal["codes"]["next_step"]["code"] == "lock.refused.next_list_out_of_date"
    assert "safetool technician update" in refusal["next_step"]
    audit = await board.board.audit()
    assert audit[-1]["kind"] == "privileged_refused"
    assert audit[-1]["reason"] == "list_out_of_date"

    async with authority_serving(pki, "--revocations-valid-days", "7") as url:
        code, out, err = await run(
            "technician", "update", "--technician", technician, "--authority", url, "--json"
        )
        assert code == 0, out + err
    update = json.loads(out.splitlines()[-1])
    # less than half of the day-long list was left against a week: signed afresh
    assert update["kept"] is True and update["issued_at"] > short.issued_at
    assert update["next_update"] == update["issued_at"] + 7 * DAY_S
    kept = RevocationList.decode((Path(technician) / "revocations.bin").read_bytes())
    assert (kept.issued_at, kept.serials) == (update["issued_at"], short.serials)

    code, out, err = await run(*config)  # the list goes to the lock as the session opens
    assert code == 0, out + err
    updates = [e for e in await board.board.audit() if e["kind"] == "revocations_updated"]
    assert updates[-1]["next_update"] == kept.next_update


async def test_technician_update_says_so_when_the_list_is_already_current(
    tmp_path: Path,
) -> None:
    pki = tmp_path / "pki"
    assert (await run("dev-pki", "init", str(pki)))[0] == 0
    technician = str(pki / "technicians" / "T-1001")
    before = (Path(technician) / "revocations.bin").read_bytes()
    async with authority_serving(pki) as url:
        code, out, err = await run(
            "technician", "update", "--technician", technician, "--authority", url
        )
    assert code == 0, err
    assert "is the current one" in out  # the development PKI's list is current for a year
    assert (Path(technician) / "revocations.bin").read_bytes() == before
