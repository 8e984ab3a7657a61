"""Lockout recovery on the board: single-use challenges, checking answers, the close seal.

Every answer is counted as a wrong attempt (and committed) before it is checked, so cutting
power mid-check cannot buy extra guesses. Answers are paced on their own, on the board's lived
time: ``wrong_codes`` wrong answers within ``window_s`` make the board wait ``lockout_s`` before
it takes another (the keypad's penalty numbers, so SPEC.md 12.9's arithmetic holds), and wrong
answers also count as wrong codes for the keypad's penalty and hard lockout. A keypad lockout
never refuses an answer. A challenge allows three answers, within ``answer_valid_min`` minutes
of lived time after it was issued; no wall clock enters the check.
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
    seal_code,
)
from protocols.trust_messages import (
    RecoveryAuthoriseRequest,
    RecoveryAuthoriseResponse,
    RecoveryChallengeResponse,
    RecoverySealResponse,
)

ATTEMPTS_PER_CHALLENGE = 3
WAIT_FIELD_MAX_S = 0xFFFF  # pragma: no mutate (the field's largest; a wait is at most 3600 s)


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

    # --- answer pacing, on lived time ---------------------------------------------------------

    @property
    def _pacing(self) -> dict[str, Any]:
        pacing: dict[str, Any] = self._state.setdefault("answers", {"wrong": [], "wait_until": 0.0})
        return pacing

    def wait_s(self) -> int:
        """Lived seconds before the board takes another answer."""
        remaining = float(self._pacing["wait_until"]) - self.lock.lived_s()
        return max(0, min(WAIT_FIELD_MAX_S, int(remaining + 0.999)))

    def _count_answer(self) -> None:
        now = self.lock.lived_s()
        window = self.lock.saved.policy.window_s
        pacing = self._pacing
        pacing["wrong"] = [t for t in pacing["wrong"] if 0 <= now - t < window] + [now]
        self.lock.count_attempt()  # commits both

    def _withdraw_answer(self) -> None:
        if self._pacing["wrong"]:
            self._pacing["wrong"].pop()
        self.lock.withdraw_attempt()

    def _answer_failed(self) -> None:
        policy = self.lock.saved.policy
        pacing = self._pacing
        if len(pacing["wrong"]) >= policy.wrong_codes:
            pacing["wrong"] = []
            pacing["wait_until"] = self.lock.lived_s() + policy.lockout_s
            self.lock.commit()

    # --- challenge and answer ----------------------------------------------------------------

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
            "issued_lived_s": self.lock.lived_s(),
            "attempts_left": ATTEMPTS_PER_CHALLENGE,
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
            return self._refuse(RefusalReason.NO_CHALLENGE, request, technician)
        if self.wait_s() > 0:
            return self._refuse(RefusalReason.LOCKED_OUT, request, technician)
        # Count first, durably: the answer is wrong until it has been shown to be right.
        challenge["attempts_left"] = int(challenge["attempts_left"]) - 1
        self._count_answer()
        reason = self._check(request, technician, challenge)
        if reason is not RefusalReason.NONE:
            return self._refuse(reason, request, technician, counted=True)
        self._withdraw_answer()
        self._pacing["wrong"] = []
        self._state["challenge"] = None
        self._state["last_recovery"] = {  # what the close seal is computed from
            "counter": challenge["counter"],
            "challenge": challenge["digits"],
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
        return RecoveryAuthoriseResponse(  # wait_s: 0 (its default), nothing to wait for
            RecoveryResult.OPENED, RefusalReason.NONE, int(challenge["counter"]), 0
        )

    def _check(
        self,
        request: RecoveryAuthoriseRequest,
        technician: Certificate,
        challenge: dict[str, Any],
    ) -> RefusalReason:
        if request.method == RecoveryMethod.PHONE:
            digits = normalise_digits(request.digits)
            if not check_digits_ok(digits):
                return RefusalReason.WRONG_RESPONSE
            expected = phone_response(
                self.provisioning.recovery_secret,
                self.serial,
                challenge["digits"],
                int(challenge["counter"]),
                technician.subject_id,
            )
            if not digits_equal(digits, expected):
                return RefusalReason.WRONG_RESPONSE
            return self._in_time(challenge)
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
        verdict = self._in_time(challenge)
        if verdict is RefusalReason.NONE:
            self.lock.take_signed_time(token.issued_at)  # bound to this challenge: fresh
        return verdict

    def _in_time(self, challenge: dict[str, Any]) -> RefusalReason:
        """The answer came within ``answer_valid_min`` of lived time after the challenge."""
        issued = float(challenge["issued_lived_s"])
        elapsed = self.lock.lived_s() - issued
        if elapsed > self.lock.saved.policy.answer_valid_min * 60:
            return RefusalReason.OUTSIDE_WINDOW
        return RefusalReason.NONE

    def _refuse(
        self,
        reason: RefusalReason,
        request: RecoveryAuthoriseRequest,
        technician: Certificate,
        *,
        counted: bool = False,
    ) -> RecoveryAuthoriseResponse:
        """``counted``: the answer was counted as an attempt and checked; a refusal before
        that (no challenge, still waiting) spends nothing."""
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
            self._answer_failed()
            lock.attempt_failed()
        return RecoveryAuthoriseResponse(
            RecoveryResult.REFUSED, reason, counter, attempts_left, self.wait_s()
        )

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
