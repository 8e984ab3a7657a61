"""What a board source can do, and the ``needs`` marker checked against it.

Capability names: ``fault:<name>`` (docs/diagnostics.md lists the faults), ``transport:<name>``,
``power_cycle``, ``power_cut`` (cut power at byte N of a transfer or at flash operation K),
``keys`` (press keys and enter codes), ``door``, ``clock`` (let the board's time pass): the
three a rig gives with fixtures (hil.actuators); ``link_model`` (bit errors, mute, babble),
``audit_tamper``, ``inspect`` (read the board's inner state and audit trail past the wire), ``pki``
(boards provisioned from a PKI the suite holds).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

FAULTS = (
    "weak_battery",
    "high_resistance",
    "jammed_motor",
    "slow_motor",
    "bolt_sensor_misaligned",
    "stuck_key",
    "dead_key",
    "clock_drift",
    "tamper_open",
    "error_burst",
    "door_sensor_stuck_open",
    "dead_output",
    "hot",
)
TRANSPORTS = ("serial", "tcp", "rfc2217", "ble")
"""The real links (``--transport all`` runs each in turn)."""
MEMORY = "memory"
"""The two ends in one event loop on fast-forwarded time (:mod:`hil.inloop`): the suite's
scenarios with no wire, for mutation testing and quick checks of board behaviour; never
instead of the real links."""

EMULATED: frozenset[str] = frozenset(
    {
        "power_cycle",
        "power_cut",
        "keys",
        "door",
        "clock",
        "link_model",
        "audit_tamper",
        "inspect",
        "pki",
    }
    | {f"fault:{name}" for name in FAULTS}
    | {f"transport:{name}" for name in (*TRANSPORTS, MEMORY)}
)


def needed(item: pytest.Item) -> list[str]:
    """Every capability the item's ``needs`` markers name, in order."""
    names: list[str] = []
    for marker in item.iter_markers("needs"):
        names += [str(arg) for arg in marker.args]
    return names


def missing(needs: Iterable[str], provided: frozenset[str]) -> list[str]:
    return [name for name in needs if name not in provided]


def needed_of(definition: pytest.Item) -> list[str]:
    """``needed`` for a function definition at collection time."""
    return needed(definition)
