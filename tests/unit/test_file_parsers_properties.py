"""Issue 19: every parser that reads a file, fed anything (hypothesis), either reads it or
raises its own clear error: images, a technician's folder, a board's provisioning, its state and
its audit trail. Never another exception, never a hang."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.audit import AUDIT_FILE, AuditTrail
from firmware.clock import ManualClock
from firmware.lock import Lock
from firmware.provisioning import Provisioning, ProvisioningError
from firmware.storage import STATE_FILE, StateStore
from safetool.errors import SafetoolError
from safetool.identity import TechnicianIdentity
from safetool.services.devpki import init_dev_pki
from safetool.services.firmware_image import read_image

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("parsers") / "pki"
    init_dev_pki(directory)
    return directory


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="safetool-parse-"))


@FAST
@given(st.binary(max_size=2048))
def test_any_bytes_as_a_firmware_image(data: bytes) -> None:
    folder = _scratch()
    try:
        (folder / "x.img").write_bytes(data)
        with contextlib.suppress(SafetoolError):
            read_image(folder / "x.img")
    finally:
        shutil.rmtree(folder)


@FAST
@given(trust=st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()),
       certificate=st.binary(max_size=300))  # fmt: skip
def test_any_technician_folder(pki: Path, trust: bytes, certificate: bytes) -> None:
    folder = _scratch() / "tech"
    try:
        shutil.copytree(pki / "technicians" / "T-1001", folder)
        (folder / "trust.json").write_bytes(trust)
        if certificate:
            (folder / "technician.cert").write_bytes(certificate)
        with contextlib.suppress(SafetoolError):
            TechnicianIdentity.load(folder)
    finally:
        shutil.rmtree(folder.parent)


@FAST
@given(st.binary(max_size=300))
def test_any_device_certificate(pki: Path, certificate: bytes) -> None:
    copy = _scratch() / "pki"
    try:
        shutil.copytree(pki, copy)
        (copy / "boards" / "SL-0000-0001" / "device.cert").write_bytes(certificate)
        with contextlib.suppress(ProvisioningError):
            Provisioning.load(copy, "SL-0000-0001")
    finally:
        shutil.rmtree(copy.parent)


@FAST
@given(st.binary(max_size=400) | JSON.map(lambda v: json.dumps(v).encode()))
def test_any_board_state_file(content: bytes) -> None:
    folder = _scratch()
    try:
        (folder / STATE_FILE).write_bytes(content)
        try:
            Lock(ManualClock(), StateStore(folder), lambda kind, value: None)
        except ValueError as error:
            assert "state" in str(error)
    finally:
        shutil.rmtree(folder)


@FAST
@given(st.lists(st.binary(max_size=120) | JSON.map(lambda v: json.dumps(v).encode()), max_size=6))
def test_any_audit_file_reads_back_and_takes_new_entries(lines: list[bytes]) -> None:
    folder = _scratch()
    try:
        (folder / AUDIT_FILE).write_bytes(b"\n".join(lines))
        trail = AuditTrail(folder)
        trail.append(1_800_000_000, "power_on", boot=1)
        again = AuditTrail(folder)
        assert again.count == trail.count and again.head_hash == trail.head_hash
    finally:
        shutil.rmtree(folder)
