"""The async client of a lock controller."""

from safetool.client.errors import DeviceSilent, LockRefused, ProtocolMismatch, RequestTimeout
from safetool.client.lock_client import LockClient

__all__ = ["DeviceSilent", "LockClient", "LockRefused", "ProtocolMismatch", "RequestTimeout"]
