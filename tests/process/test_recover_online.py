"""The whole online recovery as the field and the hotline live it: the authority service in its
own process, the emulated lock in another, ``safetool recover --authority`` in a third, and the
close seal checked back into the ledger."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from hil.plugin import BoardFactory
from protocols.recovery import RevocationList
from tests.process.test_cli import run
from tests.trust_helpers import authority_serving, hard_lockout, load_key


async def test_online_recovery_through_the_authority_service(
    tmp_path: Path, board_factory: BoardFactory
) -> None:
    pki = tmp_path / "pki"
    assert (await run("dev-pki", "init", str(pki)))[0] == 0
    async with authority_serving(pki) as url:
        board = await board_factory("--pki", str(pki), "--lockout-s", "90")
        await hard_lockout(board, lockout_s=90)  # the board's clock is now 273 s ahead
        technician = str(pki / "technicians" / "T-1001")
        # the hotline revokes T-1002 after this laptop last synchronised
        newer = RevocationList(
            int(time.time()) + 5, int(time.time()) + 7 * 86_400, (1002, 1003)
        ).signed_by(load_key(pki / "authority" / "authority.key"))
        (pki / "authority" / "revocations.bin").write_bytes(newer.encode())
        code, out, err = await run(
            "recover",
            "--authority",
            url,
            "--port",
            board.port,
            "--technician",
            technician,
            "--json",
        )
        assert code == 0, out + err
        result = json.loads(out.splitlines()[-1])
        assert result["opened"] and result["ledger_id"] >= 1
        # one recovery, one reference: the number the lock gave the challenge is the one the
        # tool shows, the one the seal carries and the one the hotline closes it by
        assert result["recovery"] >= 1
        # the newest revocation list went to the lock and stays on the laptop
        updates = [e for e in await board.board.audit() if e["kind"] == "revocations_updated"]
        assert updates[-1]["count"] == 2
        assert (pki / "technicians" / "T-1001" / "revocations.bin").read_bytes() == newer.encode()
        await asyncio.sleep(0.8)
        state = await board.board.state()
        assert state["hard_lockout"] is False and state["bolt"] == "RETRACTED"

        # the safe is shut again; the technician reads the seal and the hotline closes it
        await board.board.advance_clock(seconds=11)
        await asyncio.sleep(0.8)
        code, out, err = await run(
            "recover", "--seal", "--port", board.port, "--technician", technician, "--json"
        )
        assert code == 0, err
        seal = json.loads(out)
        code, out, err = await run(
            "authority",
            "close",
            "--pki",
            str(pki),
            "--serial",
            "SL-0000-0001",
            "--recovery",
            str(seal["counter"]),
            "--seal",
            seal["seal"],
            "--json",
        )
        assert code == 0, err
        assert (
            seal["counter"] == result["recovery"]
            and json.loads(out)["recovery"]["counter"] == (result["recovery"])
        )
        code, out, err = await run("authority", "ledger", "--pki", str(pki), "--format", "json")
        assert code == 0, err
        entries = json.loads(out)
        entries = entries if isinstance(entries, list) else entries["entries"]
        (entry,) = [e for e in entries if e["id"] == result["ledger_id"]]
        assert entry["state"] == "closed" and entry["technician_id"] == "T-1001"
        audit = [e["kind"] for e in await board.board.audit()]
        assert "recovery_opened" in audit and "recovery_sealed" in audit
