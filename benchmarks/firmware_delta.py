"""Delta installs against full ones (issue 18; a script, not a test).

Two pairs of images, each padded into a 256 KiB signed image:

* **reference**: real compiled code from two consecutive patch releases of a published
  package, bitarray 2.9.2 → 2.9.3 (its ``_util`` C extension for CPython 3.11 on x86-64 Linux,
  ~190 KiB, PSF licence), fetched from PyPI by ``pip download`` and checked by SHA-256;
* **synthetic**: the firmware benchmark's compressible image (``benchmarks/firmware_install.py``)
  with 2 % of its bytes changed in 16-byte runs and 200 bytes inserted near the start.

For each pair it prints, measured in this run:

* patch sizes: the stream the tool sends (a detools sequential patch made with bsdiff4, LZMA2
  compressed, SPEC.md 20.5), detools' own sequential patch with its ``lzma`` compression and
  bsdiff4's control/diff/extra blocks each compressed with ``lzma`` — and the first against the
  smaller of the other two (goal: at most 1.1×);
* the whole image's stream as a full install sends it today (LZMA2);
* install transfers on the emulated board through the real install service, at 115200 baud
  over a pty and over BLE (the Bumble radio and link model) at ATT MTU 23 and 247: the full
  transfer of the new image and the delta transfer, FIRMWARE_STREAM/DELTA to the last answer
  (goal: the delta at least 10× faster).

    .venv/bin/python benchmarks/firmware_delta.py           # ~3 min
    .venv/bin/python benchmarks/firmware_delta.py --quick   # sizes, and 115200 baud (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import lzma
import os
import random
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bsdiff4.core
import detools

from firmware.process import EmulatorProcess
from hil.images import build_test_image
from protocols.firmware_delta import make_delta_stream
from protocols.firmware_image import Image, parse_image
from protocols.firmware_stream import DEFAULT_DICT_SIZE, DeltaBase, make_stream
from safetool.client import LockClient
from safetool.identity import TechnicianIdentity
from safetool.services.devpki import init_dev_pki
from safetool.services.firmware_install import InstallOutcome, install, plan_install
from safetool.transport.ble_backend_bumble import HCI_ENV

IMAGE_SIZE = 256 * 1024
PAYLOAD_SIZE = IMAGE_SIZE - 1024
"""Room for the MCUboot header and TLVs inside 256 KiB."""
REFERENCE_FILE = "bitarray/_util.cpython-311-x86_64-linux-gnu.so"
PATTERN = bytes.fromhex("10b50446fff7feff204610bd00231a60")
EVERY = 3  # NONE and LZMA2


def reference_pair(cache: Path) -> tuple[bytes, bytes] | None:
    """bitarray 2.9.2 and 2.9.3's ``_util`` extension, downloaded once into ``cache``."""
    found = []
    for version in ("2.9.2", "2.9.3"):
        folder = cache / f"bitarray-{version}"
        wheels = list(folder.glob("*.whl")) if folder.is_dir() else []
        if not wheels:
            command = [
                sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                "--only-binary=:all:", "--python-version", "3.11",
                "--platform", "manylinux2014_x86_64", f"bitarray=={version}", "-d", str(folder),
            ]  # fmt: skip
            if subprocess.run(command, capture_output=True, check=False).returncode != 0:
                return None
            wheels = list(folder.glob("*.whl"))
        found.append(zipfile.ZipFile(wheels[0]).read(REFERENCE_FILE))
    return found[0], found[1]


def synthetic_pair() -> tuple[bytes, bytes]:
    rnd = random.Random(1234)
    blocks = PAYLOAD_SIZE // 1024
    old = b"".join(rnd.randbytes(256) + PATTERN * 32 + bytes(256) for _ in range(blocks))
    new = bytearray(old)
    for _ in range(int(len(old) * 0.02 / 16)):
        at = rnd.randrange(len(new) - 16)
        new[at : at + 16] = rnd.randbytes(16)
    new[1000:1000] = rnd.randbytes(200)
    return old, bytes(new[: len(old)])


def padded(code: bytes) -> bytes:
    """A payload of exactly PAYLOAD_SIZE: the code, then erased flash (0xff)."""
    return code + b"\xff" * (PAYLOAD_SIZE - len(code))


@dataclass(frozen=True)
class Sizes:
    ours: int
    detools_lzma: int
    bsdiff4_lzma: int
    full: int

    @property
    def against_best(self) -> float:
        return self.ours / min(self.detools_lzma, self.bsdiff4_lzma)


def patch_sizes(old: Image, new: Image) -> Sizes:
    base, target = old.image_bytes, new.image_bytes
    ours = make_delta_stream(
        DeltaBase(1, base), target, 0, supported=EVERY, max_dict_size=DEFAULT_DICT_SIZE
    )
    out = io.BytesIO()
    detools.create_patch(io.BytesIO(base), io.BytesIO(target), out, compression="lzma")
    control, diff, extra = bsdiff4.core.diff(base, target)
    bsdiff4_lzma = 32 + sum(len(lzma.compress(block)) for block in (control, diff, extra))
    full = make_stream(target, 0, supported=EVERY, max_dict_size=DEFAULT_DICT_SIZE)
    return Sizes(len(ours.data), len(out.getvalue()), bsdiff4_lzma, len(full.data))


async def install_on(
    board: EmulatorProcess, me: TechnicianIdentity, image: Image, base: Image | None
) -> InstallOutcome:
    async with await LockClient.connect(board.port, timeout_s=10) as client:
        plan = await plan_install(
            client,
            me,
            image,
            port=board.port,
            source="benchmark",
            bases=None if base is None else (lambda version, size: [base]),
        )
        assert (plan.delta is not None) == (base is not None), "the delta was not planned"
        return await install(client, me, image, plan)


async def transfer_s(
    link: list[str], root: Path, pki: Path, old: Image, new: Image, delta: bool
) -> float:
    """Seconds of the new image's transfer on a fresh board running ``old``."""
    me = TechnicianIdentity.load(pki / "technicians" / "T-1001")
    state = root / f"board-{os.urandom(4).hex()}"
    async with EmulatorProcess("--pki", str(pki), *link, state_dir=state) as board:
        if "--ble" in link:
            os.environ[HCI_ENV] = board.ready["hci"]
        await install_on(board, me, old, None)
        outcome = await install_on(board, me, new, old if delta else None)
    report = outcome.transfers[-1]
    assert (report.stream.base is not None) == delta
    return report.seconds


LINKS = {
    "115200 baud": ["--baud", "115200"],
    "BLE MTU 23": ["--ble", "--ble-mtu", "23"],
    "BLE MTU 247": ["--ble", "--ble-mtu", "247"],
}


async def main(quick: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pki = root / "pki"
        init_dev_pki(pki)
        pairs = {"synthetic 2 %": synthetic_pair()}
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "safetool-bench"
        reference = reference_pair(cache)
        if reference is None:
            print("reference pair: bitarray 2.9.2/2.9.3 could not be downloaded (no registry?)")
        else:
            sha = [hashlib.sha256(code).hexdigest()[:16] for code in reference]
            print(
                f"reference pair: bitarray 2.9.2 -> 2.9.3 {REFERENCE_FILE} "
                f"({len(reference[0])} and {len(reference[1])} bytes; sha256 {sha[0]}…, {sha[1]}…)"
            )
            pairs = {"bitarray 2.9.2->2.9.3": (reference[0], reference[1]), **pairs}
        images = {}
        for name, (old_code, new_code) in pairs.items():
            tag = name.split()[0]
            old = build_test_image(pki, root, f"{tag}-old", padded(old_code), "2.4.0")
            new = build_test_image(pki, root, f"{tag}-new", padded(new_code), "2.4.1")
            images[name] = (parse_image(old.read_bytes()), parse_image(new.read_bytes()))
        print(f"\npatch sizes (images of {IMAGE_SIZE // 1024} KiB), bytes:")
        print(
            f"  {'pair':<22} {'full LZMA2':>10} {'ours':>8} {'detools':>8} {'bsdiff4':>8} "
            f"{'ours/best':>9} {'full/ours':>9}"
        )
        for name, (old, new) in images.items():
            s = patch_sizes(old, new)
            print(
                f"  {name:<22} {s.full:>10} {s.ours:>8} {s.detools_lzma:>8} {s.bsdiff4_lzma:>8} "
                f"{s.against_best:>9.3f} {s.full / s.ours:>9.1f}"
            )
        links = {"115200 baud": LINKS["115200 baud"]} if quick else LINKS
        chosen = {k: v for k, v in images.items() if not quick or k.startswith("synthetic")}
        print("\ninstall transfers (FIRMWARE_STREAM or FIRMWARE_DELTA to the last answer), s:")
        print(f"  {'pair':<22} {'link':<12} {'full':>7} {'delta':>7} {'speed-up':>8}")
        for name, (old, new) in chosen.items():
            for link_name, link in links.items():
                full = await transfer_s(link, root, pki, old, new, delta=False)
                delta = await transfer_s(link, root, pki, old, new, delta=True)
                print(
                    f"  {name:<22} {link_name:<12} {full:>7.2f} {delta:>7.2f} {full / delta:>8.1f}"
                )
    print(
        "\ngoals: ours/best <= 1.1 (best: detools sequential+lzma or bsdiff4+lzma on the same "
        "pair); a patch release's transfer >= 10x faster than the full compressed one"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes and 115200 baud only (CI)")
    asyncio.run(main(parser.parse_args().quick))
