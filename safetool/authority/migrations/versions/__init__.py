"""Ledger schema revisions, oldest first (``v0001_...``)."""
