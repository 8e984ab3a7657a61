"""The authority keeps a current revocation list on offer: signed afresh when half of its
validity has passed, with every revocation kept, even when processes publish at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from protocols.recovery import RevocationList
from safetool.authority.keys import REVOCATIONS, load_authority_keys
from safetool.authority.revocations import DAY_S, RevocationPublisher
from safetool.services.devpki import init_dev_pki

START = 1_800_000_000


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    directory = tmp_path / "pki"
    init_dev_pki(directory, now=START)  # its list: current for a year
    return directory


def _held(pki: Path) -> RevocationList:
    return RevocationList.decode((pki / REVOCATIONS).read_bytes())


def test_a_list_with_more_than_half_its_validity_left_is_given_as_it_is(pki: Path) -> None:
    before = (pki / REVOCATIONS).read_bytes()
    publisher = RevocationPublisher(load_authority_keys(pki), 7 * DAY_S, lambda: START + 60)
    assert publisher.current() == before


def test_a_list_past_half_its_validity_is_signed_afresh_with_the_same_serials(pki: Path) -> None:
    first = _held(pki)
    later = first.next_update - 3 * DAY_S  # three days left of a year: less than half a week
    publisher = RevocationPublisher(load_authority_keys(pki), 7 * DAY_S, lambda: later)
    given = RevocationList.decode(publisher.current())
    assert (given.issued_at, given.next_update) == (later, later + 7 * DAY_S)
    assert given.serials == first.serials
    given.verify_signature(load_authority_keys(pki).public_key)
    assert _held(pki) == given  # published for every process, not only handed out
    assert RevocationList.decode(publisher.current()) == given  # and not signed again


def test_a_revocation_adds_to_the_list_and_a_list_past_its_date_is_replaced(pki: Path) -> None:
    first = _held(pki)
    now = first.next_update + DAY_S  # out of date
    publisher = RevocationPublisher(load_authority_keys(pki), 7 * DAY_S, lambda: now)
    publisher.revoke(424242)
    revoked = _held(pki)
    assert set(revoked.serials) == {*first.serials, 424242}
    assert revoked.next_update == now + 7 * DAY_S
    publisher.revoke(424242)  # already there: nothing new is published
    assert _held(pki) == revoked


def test_revocations_and_re_signings_at_once_lose_no_revocation(pki: Path) -> None:
    """Threads stand in for authority processes on one PKI folder: each has its own keys
    object (its own view of the file), and re-signings race the revocations."""
    first = _held(pki)
    clock = [float(first.next_update - DAY_S)]  # due for re-signing against a week
    serials = list(range(500_000, 500_024))
    errors: list[BaseException] = []

    def work(serial: int) -> None:
        try:
            publisher = RevocationPublisher(load_authority_keys(pki), 7 * DAY_S, lambda: clock[0])
            publisher.current()
            publisher.revoke(serial)
            publisher.current()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(serial,)) for serial in serials]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert set(_held(pki).serials) == {*first.serials, *serials}
