"""Audit-trail download over the pty at 115200 baud (a script, not a test).

Fills the emulated board's trail through its side channel, then times the real tool downloading
it all (AUDIT_HEAD, paged AUDIT_READ at the largest frame the board accepts, chain and signature
checks, the local copy written) inside a secure session, and an incremental download after it.
Prints the time, and the ratio of that time to what the line needs for the bytes that crossed
it (1.00 would be a line never idle).

Run: ``.venv/bin/python benchmarks/audit.py`` (``--quick`` for a smoke run: 500 entries).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware.process import EmulatorProcess
from safetool.client import LockClient
from safetool.client.secure import open_session
from safetool.identity import TechnicianIdentity
from safetool.services.audit import download_audit
from safetool.services.devpki import init_dev_pki

BAUD = 115200


async def main(entries: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pki = root / "pki"
        init_dev_pki(pki)
        board = EmulatorProcess("--pki", str(pki), "--baud", str(BAUD), state_dir=root / "board")
        await board.start()
        try:
            await board.board.audit_fill(count=entries)
            identity = TechnicianIdentity.load(pki / "technicians" / "T-1001")
            async with await LockClient.connect(board.port, baudrate=BAUD) as client:
                session = await open_session(client, identity)
                stats = client.connection.stats
                before = stats.bytes_in + stats.bytes_out
                full = await download_audit(client, session, directory=root / "laptop")
                wire = stats.bytes_in + stats.bytes_out - before
                await board.board.audit_fill(count=20)
                before = stats.bytes_in + stats.bytes_out
                again = await download_audit(client, session, directory=root / "laptop")
                wire_again = stats.bytes_in + stats.bytes_out - before
        finally:
            await board.stop()
    assert full.verified and again.verified, (full.findings, again.findings)
    rate = BAUD / 10
    line_s = wire / rate
    print(f"audit download over a pty at {BAUD} baud, in a secure session")
    print(
        f"  full: {full.new_entries} entries, {full.bytes_read} bytes of answers, "
        f"{wire} bytes on the wire, {full.seconds:.2f} s "
        f"({full.new_entries / full.seconds:.0f} entries/s)"
    )
    print(
        f"  line time for those wire bytes {line_s:.2f} s: ratio {full.seconds / line_s:.3f} "
        f"(1.000 = line never idle); payload {full.bytes_read / full.seconds / rate:.1%} "
        "of line rate"
    )
    print(
        f"  incremental: {again.new_entries} new entries, {wire_again} bytes on the wire, "
        f"{again.seconds * 1000:.0f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="500 entries, for CI")
    parser.add_argument("--entries", type=int, default=10_000)
    options = parser.parse_args()
    asyncio.run(main(500 if options.quick else options.entries))
