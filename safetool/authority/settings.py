"""Where the authority's HTTP service listens by default and what an operator token must be.

Kept apart from the web app so that the command line's offline commands (``issue``, ``close``,
``ledger``) start without loading the web stack."""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8470
OPERATOR_TOKEN_ENV = "SAFETOOL_OPERATOR_TOKEN"
MIN_OPERATOR_TOKEN_LENGTH = 16
