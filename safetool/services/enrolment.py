"""A technician's side of enrolment (docs/authority.md, "Technicians"): a key pair made on this
laptop — the private key never leaves it — and the request the service centre signs a
certificate for. The desk's supervisor enrols the request and gives back ``technician.cert``.
Afterwards, the current revocation list fetched from the centre for the locks visited offline."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocols.recovery import RevocationList
from safetool.authority.client import AuthorityClient, EnrolmentRequest
from safetool.errors import SafetoolError
from safetool.identity import TechnicianIdentity
from safetool.keyfiles import private_pem, write_private
from safetool.messages import Message

REQUEST_FILE = "enrolment-request.json"


class EnrolmentError(SafetoolError):
    exit_code = 2


def request_enrolment(folder: Path, technician_id: str, name: str, region: str) -> Path:
    """Make ``folder/technician.key`` (0600) and ``folder/enrolment-request.json``; never
    overwrite a key that is there."""
    key_path = folder / "technician.key"
    if key_path.exists():
        raise EnrolmentError(
            Message("enrolment.key_exists", {"path": str(key_path)}),
            next_step=Message("enrolment.key_exists.next"),
        )
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    write_private(key_path, private_pem(key))
    request = EnrolmentRequest.make(key, technician_id, name, region)
    path = folder / REQUEST_FILE
    path.write_text(json.dumps(request.to_json(), indent=1) + "\n", encoding="utf-8")
    return path


async def update_revocations(
    folder: Path | None, authority_url: str
) -> tuple[RevocationList, bool]:
    """Fetch the authority's current revocation list (checked against the authority key this
    laptop trusts) and keep it if newer than the one in the technician's folder. Return the list
    and whether it was kept."""
    identity = TechnicianIdentity.load(folder)
    if not authority_url:
        raise EnrolmentError(
            Message("technician.no_authority"), next_step=Message("technician.no_authority.next")
        )
    async with AuthorityClient(authority_url) as authority:
        newest = await authority.revocations(authority_key=identity.authority_key)
    return newest, identity.keep_revocations(newest)
