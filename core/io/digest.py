"""File digests: the sha256 that model cards and the FLAME mapping cache are keyed by."""
from __future__ import annotations

import hashlib
import os


def file_sha256(path) -> str:
    """Hex sha256 of a file's bytes, read in 4 MiB blocks."""
    h = hashlib.sha256()
    with open(os.fspath(path), "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()
