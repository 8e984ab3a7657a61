"""Lockout recovery on the board: single-use challenges, checking answers, the close seal.

Every answer is counted as a wrong attempt (and committed) before it is checked, so cutting
power mid-check cannot buy extra guesses; wrong answers feed the penalty lockout, which blocks
further answers for its duration even in a hard lockout. A challenge allows three answers.
"""

from __future__ import annotations

import os
from typing import Any

from firmware.audit import AuditTrail
from firmware.lock import Lock
from firmware.provisioning import Provisioning
from protocols.catalogue import (
    BoltState,
    DoorState,
    EventKind,
    RecoveryMethod,
    RecoveryResult,
    RefusalReason,
)
from protocols.certificates import Certificate
from protocols.recovery import (
    Authorisation,
    RecoveryError,
    challenge_digits,
    check_digits_ok,
    digits_equal,
    normalise_digits,
    phone_response,
    phone_window,
    seal_code,
)
from protocols.trust_messages import (
    RecoveryAuthoriseRequest,
    RecoveryAuthoriseResponse,
    RecoveryChallengeResponse,
    RecoverySealResponse,
)

ATTEMPTS_PER_CHALLENGE = 3


class SealNotReady(Exception):
    """No recovery to seal, or the safe is not shut and bolted yet."""


class BoardRecovery:
    def __init__(
        self, lock: Lock, provisioning: Provisioning, audit: AuditTrail, serial: str
    ) -> None:
        self.lock = lock
        self.provisioning = provisioning
        self.audit = audit
        self.serial = serial

    @property
    def _state(self) -> dict[str, Any]:
        return self.lock.saved.service

    def challenge(self, technician: Certificate) -> RecoveryChallengeResponse:
        """A fresh challenge; any earlier one is void from now on."""
        now = self.lock.trusted_rtc()
        counter = int(self._state.get("recovery_counter", 0)) + 1
        nonce = os.urandom(16)
        digits = challenge_digits(nonce)
        self._state["recovery_counter"] = counter
        self._state["challenge"] = {
            "nonce": nonce.hex(),
            "counter": counter,
            "digits": digits,
            "issued_at": int(now),
            "attempts_left": ATTEMPTS_PER_CHALLENGE,
            "technician_id": technician.subject_id,
            "certificate_serial": technician.serial_number,
        }
        self.lock.commit()
        self.audit.append(
            now, "recovery_challenge", counter=counter, technician=technician.subject_id
        )
        return RecoveryChallengeResponse(
            nonce, counter, int(now), ATTEMPTS_PER_CHALLENGE, self.serial, digits
        )

    def authorise(
        self, request: RecoveryAuthoriseRequest, technician: Certificate
    ) -> RecoveryAuthoriseResponse:
        lock = self.lock
        now = lock.trusted_rtc()
        challenge = self._state.get("challenge")
        if challenge is None:
            return self._refuse(RefusalReason.NO_CHALLENGE, request, technician, counted=False)
        if lock.lockout_seconds > 0:
            return self._refuse(RefusalReason.LOCKED_OUT, request, technician, counted=False)
        # Count first, durably: the answer is wrong until it has been shown to be right.
        challenge["attempts_left"] = int(challenge["attempts_left"]) - 1
        lock.count_attempt()
        reason = self._check(request, technician, challenge, now)
        if reason is not RefusalReason.NONE:
            return self._refuse(reason, request, technician, counted=True)
        lock.withdraw_attempt()
        self._state["challenge"] = None
        self._state["last_recovery"] = {
            "counter": challenge["counter"],
            "challenge": challenge["digits"],
            "technician_id": technician.subject_id,
            "method": RecoveryMethod(request.method).name.lower(),
            "opened_at": int(now),
        }
        lock.clear_lockouts()
        self.audit.append(
            now,
            "recovery_opened",
            counter=challenge["counter"],
            technician=technician.subject_id,
            method=RecoveryMethod(request.method).name.lower(),
        )
        lock.emit(EventKind.RECOVERED, int(challenge["counter"]))
        lock.open_bolt()
        return RecoveryAuthoriseResponse(
            RecoveryResult.OPENED, RefusalReason.NONE, int(challenge["counter"]), 0
        )

    def _check(
        self,
        request: RecoveryAuthoriseRequest,
        technician: Certificate,
        challenge: dict[str, Any],
        now: float,
    ) -> RefusalReason:
        if request.method == RecoveryMethod.PHONE:
            digits = normalise_digits(request.digits)
            if not check_digits_ok(digits):
                return RefusalReason.WRONG_RESPONSE
            window = phone_window(now)
            matches = [
                digits_equal(
                    digits,
                    phone_response(
                        self.provisioning.recovery_secret,
                        self.serial,
                        challenge["digits"],
                        technician.subject_id,
                        w,
                    ),
                )
                for w in (window, window - 1)  # issued in this 10-minute window or the last
            ]
            return RefusalReason.NONE if any(matches) else RefusalReason.WRONG_RESPONSE
        try:
            token = Authorisation.decode(request.token)
            token.verify_signature(self.provisioning.authority_key)
        except RecoveryError:
            return RefusalReason.BAD_SIGNATURE
        if token.serial != self.serial:
            return RefusalReason.WRONG_BOARD
        if token.nonce.hex() != challenge["nonce"] or token.counter != challenge["counter"]:
            return RefusalReason.WRONG_CHALLENGE
        if (
            token.technician_id != technician.subject_id
            or token.certificate_serial != technician.serial_number
        ):
            return RefusalReason.WRONG_TECHNICIAN
        if not token.not_before <= now <= token.not_after:
            return RefusalReason.OUTSIDE_WINDOW
        return RefusalReason.NONE

    def _refuse(
        self,
        reason: RefusalReason,
        request: RecoveryAuthoriseRequest,
        technician: Certificate,
        *,
        counted: bool,
    ) -> RecoveryAuthoriseResponse:
        lock = self.lock
        challenge = self._state.get("challenge")
        attempts_left = 0 if challenge is None else int(challenge["attempts_left"])
        counter = 0 if challenge is None else int(challenge["counter"])
        if challenge is not None and attempts_left <= 0:
            self._state["challenge"] = None  # used up: a new challenge is needed
        lock.commit()
        self.audit.append(
            lock.trusted_rtc(),
            "recovery_refused",
            reason=reason.name.lower(),
            technician=technician.subject_id,
            method=_method_name(request.method),
            counter=counter,
            attempts_left=attempts_left,
        )
        lock.emit(EventKind.RECOVERY_REFUSED, int(reason))
        if counted:
            lock.attempt_failed()
        return RecoveryAuthoriseResponse(RecoveryResult.REFUSED, reason, counter, attempts_left)

    def seal(self) -> RecoverySealResponse:
        last = self._state.get("last_recovery")
        if last is None:
            raise SealNotReady("there is no recovery to seal")
        hardware = self.lock.hardware
        if hardware.door != DoorState.CLOSED or hardware.bolt != BoltState.EXTENDED:
            raise SealNotReady("close the door and let the bolt extend, then ask for the seal")
        code = seal_code(
            self.provisioning.recovery_secret, self.serial, int(last["counter"]), last["challenge"]
        )
        self.audit.append(self.lock.trusted_rtc(), "recovery_sealed", counter=last["counter"])
        return RecoverySealResponse(int(last["counter"]), code)


def _method_name(method: int) -> str:
    try:
        return RecoveryMethod(method).name.lower()
    except ValueError:
        return f"method {method}"
