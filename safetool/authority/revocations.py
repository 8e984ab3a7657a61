"""Publishing the signed revocation list: a new one at each revocation, and the same serials
signed again before the list in force runs out.

A lock refuses privileged work once its signed time passes its list's ``next_update`` (SPEC.md
11.3), so a lock no tool has brought a current list to stops trusting certificates revoked since.
The authority therefore keeps a current list on offer even when nothing is revoked: whoever asks
for it (``GET /v1/revocations``, ``safetool technician update``) after half of its validity has
passed gets a list signed afresh.

Every authority process on one PKI folder writes the same file; a lock file serialises the
read-sign-replace, so a re-signing can never overwrite a revocation made at the same moment.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from protocols.recovery import RevocationList
from safetool.authority.keys import REVOCATIONS, AuthorityKeys

DAY_S = 86_400
DEFAULT_VALID_DAYS = 7
"""How long a published list stays current: the longest a lock nobody brings a newer list to
keeps trusting a certificate revoked after it, and how long a technician may work offline."""


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold the lock file ``path`` (created if need be) for the block, across processes."""
    with open(path, "a+b") as handle:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield  # released when the file closes


@dataclass(frozen=True, slots=True)
class RevocationPublisher:
    keys: AuthorityKeys
    valid_s: int = DEFAULT_VALID_DAYS * DAY_S
    clock: Callable[[], float] = time.time

    @property
    def _path(self) -> Path:
        return Path(self.keys.pki) / REVOCATIONS

    def revoke(self, serial: int) -> None:
        """Publish a list with ``serial`` added (nothing if it is there already)."""
        with _exclusive(self._path.with_name(".revocations.lock")):
            current = self.keys.revocations.current()
            if serial not in current.serials:
                self._publish({*current.serials, serial})

    def current(self) -> bytes:
        """The list to give tools: the one in force, signed afresh first if less than half of
        its validity is left (or it has run out)."""
        now = self.clock()
        if self.keys.revocations.current().next_update - now < self.valid_s / 2:
            with _exclusive(self._path.with_name(".revocations.lock")):
                current = self.keys.revocations.current()  # another process may have done it
                if current.next_update - now < self.valid_s / 2:
                    self._publish(current.serials)
        return self.keys.revocations.raw()

    def _publish(self, serials: Iterable[int]) -> None:
        """Sign a list of ``serials`` newer than the one in force and put it where every
        authority process reads it, atomically (held under the lock file)."""
        current = self.keys.revocations.current()
        issued_at = max(int(self.clock()), current.issued_at + 1)
        newer = RevocationList(issued_at, issued_at + self.valid_s, tuple(sorted(set(serials))))
        signed = newer.signed_by(self.keys.signing_key)
        handle, temporary = tempfile.mkstemp(dir=self._path.parent, prefix=".revocations-")
        with os.fdopen(handle, "wb") as out:
            out.write(signed.encode())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self._path)
        self.keys.revocations.current()  # loaded (and checked) at once
