"""The images this laptop has installed, kept as bases for delta installs (docs/firmware.md).

A lock that runs an image the tool once installed can take the next one as a patch from it
(SPEC.md 20.5). The cache holds the signed images themselves, named by their SHA-256, in the
data folder (``$SAFETOOL_DATA_DIR/images``); it forgets the oldest beyond :data:`KEEP`. Nothing
in it is secret: images are signed, not encrypted, and a lock proves by hash that it holds one
before a patch is made from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from protocols.firmware_image import Image, ImageError, parse_image
from safetool.services.datadir import data_dir

KEEP = 32
"""Images kept: a technician's firmware of several models over several releases."""


def cache_dir() -> Path:
    return data_dir() / "images"


def remember(image: Image) -> None:
    """Keep ``image`` (an install ended with it confirmed); forget the oldest beyond KEEP."""
    data = image.image_bytes
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()}.img"
    if path.exists():
        os.utime(path)  # recently used: kept longest
    else:
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # never a half-written image under its hash
    kept = sorted(folder.glob("*.img"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


def images_of(version: str, size: int) -> list[Image]:
    """Cached images of this version and size (a slot's record says both), newest first.
    A file whose bytes no longer match its name is skipped."""
    folder = cache_dir()
    if not folder.is_dir():
        return []
    found: list[Image] = []
    for path in sorted(folder.glob("*.img"), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            if path.stat().st_size != size:
                continue
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != path.stem:
                continue
            image = parse_image(data)
        except (OSError, ImageError):
            continue
        if str(image.version) == version:
            found.append(image)
    return found
