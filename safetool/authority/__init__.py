"""The service authority: the hotline's side of lockout recovery.

It checks a technician's certificate and qualification, rate-limits per technician and per lock,
issues a signed :class:`protocols.recovery.Authorisation` (online) or a phone-in response code,
writes every issue to its ledger before answering, and records results and close seals.
See docs/authority.md.

Modules, one job each:

* :mod:`~safetool.authority.errors` — what the authority refuses, with HTTP status and exit code;
* :mod:`~safetool.authority.keys` — loading the authority's keys and revocation list from a PKI dir;
* :mod:`~safetool.authority.register` — the technician register and certificate checks;
* :mod:`~safetool.authority.digits` — parsing digits read over the phone;
* :mod:`~safetool.authority.wire` — the signed requests, shared by the tool and the server;
* :mod:`~safetool.authority.schema`, :mod:`~safetool.authority.database` — the ledger tables
  and the engine (SQLite or PostgreSQL, migrations applied at start);
* :mod:`~safetool.authority.ledger` — ledger transactions (rate limits, duplicates, states);
* :mod:`~safetool.authority.service` — the issuing logic;
* :mod:`~safetool.authority.app`, :mod:`~safetool.authority.server` — the HTTP API;
* :mod:`~safetool.authority.client` — the tool's HTTP client;
* :mod:`~safetool.authority.export` — CSV and JSON exports of the ledger;
* :mod:`~safetool.authority.devpostgres` — a throwaway PostgreSQL server for tests and benchmarks.
"""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
