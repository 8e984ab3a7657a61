"""The authority's keys and revocation list, loaded from a PKI folder (see services/devpki.py).

``DIR/authority/authority.key``        PEM Ed25519: signs authorisations (and certificates, CRLs)
``DIR/authority/recovery-master.key``  hex: derives each board's phone-in recovery secret
``DIR/authority/revocations.bin``      the signed revocation list (re-read when the file changes)
``DIR/trust.json``                     public anchors: the authority key must match it

Private material never reaches a log or a ``repr``: :class:`Secret` hides its bytes, and
:class:`AuthorityKeys` shows only the authority's key id.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from protocols.certificates import key_id, raw_public
from protocols.recovery import RECOVERY_SECRET_SIZE, RecoveryError, RevocationList
from safetool.authority.errors import AuthorityConfigError
from safetool.messages import Message

AUTHORITY_KEY = Path("authority") / "authority.key"
MASTER_KEY = Path("authority") / "recovery-master.key"
REVOCATIONS = Path("authority") / "revocations.bin"
TRUST = Path("trust.json")


class Secret:
    """Bytes that must never be printed: ``repr`` and ``str`` say only that they are hidden."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = value

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "Secret(<hidden>)"

    __str__ = __repr__


def _config_error(
    path: Path, problem: str, next_step: str, **values: object
) -> AuthorityConfigError:
    """``authority.keys.<problem>`` about ``path``; ``authority.keys.next.<next_step>``."""
    return AuthorityConfigError(
        Message(f"authority.keys.{problem}", {"path": str(path), **values}),
        meaning=Message("authority.keys.cannot_start"),
        next_step=Message(f"authority.keys.next.{next_step}", {"path": str(path)}),
    )


def _read_private(path: Path) -> bytes:
    """Read a private key file, refusing one that others may read (as ssh does)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise _config_error(path, "not_found", "give_pki") from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise _config_error(path, "readable", "chmod", mode=f"{stat.S_IMODE(info.st_mode):o}")
    return path.read_bytes()


def load_authority_key(pki: Path) -> Ed25519PrivateKey:
    path = pki / AUTHORITY_KEY
    data = _read_private(path)
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise _config_error(path, "not_pem", "restore_backup") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _config_error(path, "not_ed25519", "restore_backup")
    return key


def load_master_secret(pki: Path) -> Secret:
    path = pki / MASTER_KEY
    text = _read_private(path).decode("ascii", errors="replace").strip()
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) != RECOVERY_SECRET_SIZE:
        raise _config_error(path, "not_secret", "restore_backup", size=RECOVERY_SECRET_SIZE)
    return Secret(value)


def load_trust(pki: Path) -> dict[str, str]:
    path = pki / TRUST
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise _config_error(path, "not_found", "whole_pki") from None
    except (ValueError, UnicodeDecodeError):
        raise _config_error(path, "not_json", "restore_pki") from None
    if not isinstance(document, dict) or not all(isinstance(v, str) for v in document.values()):
        raise _config_error(path, "not_strings", "restore_pki")
    return {str(k): str(v) for k, v in document.items()}


class RevocationStore:
    """The signed revocation list, re-read whenever its file changes.

    Fails closed: a list that does not verify, or is older than the one already loaded, stops
    issuance (``current()`` raises) until the file is fixed."""

    def __init__(self, path: Path, authority: Ed25519PublicKey) -> None:
        self._path = path
        self._authority = authority
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._list: RevocationList | None = None
        self._raw = b""
        self.current()

    def _load(self) -> tuple[RevocationList, bytes]:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            raise _config_error(self._path, "crl_not_found", "restore_pki") from None
        try:
            crl = RevocationList.decode(raw)
            crl.verify_signature(self._authority)
        except RecoveryError as error:
            raise _config_error(
                self._path, "crl_refused", "publish_crl", detail=str(error)
            ) from None
        if self._list is not None and crl.issued_at < self._list.issued_at:
            raise _config_error(
                self._path,
                "crl_older",
                "newest_crl",
                issued=datetime.fromtimestamp(crl.issued_at, UTC),
                loaded=datetime.fromtimestamp(self._list.issued_at, UTC),
            )
        return crl, raw

    def current(self) -> RevocationList:
        with self._lock:
            try:
                info = self._path.stat()
                stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp is None or stamp != self._stamp or self._list is None:
                self._list, self._raw = self._load()
                self._stamp = stamp
            return self._list

    def raw(self) -> bytes:
        """The signed list as published (what boards are given)."""
        self.current()
        with self._lock:
            return self._raw

    def is_revoked(self, certificate_serial: int) -> bool:
        return certificate_serial in self.current().serials


@dataclass(frozen=True, slots=True)
class AuthorityKeys:
    pki: Path
    signing_key: Ed25519PrivateKey = field(repr=False)
    master_secret: Secret = field(repr=False)
    revocations: RevocationStore = field(repr=False)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()

    @property
    def key_id(self) -> bytes:
        return key_id(self.public_key)

    def __repr__(self) -> str:
        return f"AuthorityKeys(pki={str(self.pki)!r}, key_id={self.key_id.hex()})"


def load_authority_keys(pki: Path) -> AuthorityKeys:
    """Load and cross-check everything the authority needs from ``pki``."""
    if not pki.is_dir():
        raise _config_error(pki, "no_folder", "give_pki")
    signing_key = load_authority_key(pki)
    trust = load_trust(pki)
    public_hex = raw_public(signing_key.public_key()).hex()
    if trust.get("authority_public_key") != public_hex:
        raise _config_error(pki / AUTHORITY_KEY, "mismatch", "same_pki")
    master = load_master_secret(pki)
    revocations = RevocationStore(pki / REVOCATIONS, signing_key.public_key())
    return AuthorityKeys(pki, signing_key, master, revocations)
