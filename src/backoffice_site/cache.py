"""The persistent build cache under ``ROOT/.cache/``: what a Builder computed, kept between runs.

It is never trusted blindly: entries are keyed by digests of their inputs (see ``build``), and the whole
file is keyed by the engine version, the Python version and the versions of every library that shapes
the output. A missing, corrupt, truncated or foreign cache file is ignored (and replaced after the next
successful build), never a crash. The file is written atomically. It is a pickle, so it is only ever
read from the site's own folder, which is as trusted as the templates next to it.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from backoffice_site import __version__

FILE = "build-cache.pickle"


def fingerprint(options: tuple[Any, ...]) -> tuple[Any, ...]:
    libs: list[tuple[str, str | None]] = []
    for dist in ("markdown", "jinja2", "pyyaml", "nh3", "markupsafe", "budoux"):
        try:
            libs.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            libs.append((dist, None))
    return ("backoffice-site-cache", 9, __version__, sys.version, tuple(libs), options)


def load(folder: Path, key: tuple[Any, ...]) -> dict[str, Any] | None:
    path = folder / FILE
    try:
        with path.open("rb") as f:
            stored_key, payload = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception:  # corrupt, truncated, from another version: start afresh
        return None
    if stored_key != key or not isinstance(payload, dict):
        return None
    return payload


def save(folder: Path, key: tuple[Any, ...], payload: dict[str, Any]) -> bool:
    """Write atomically; a cache that cannot be written is not an error (the next build is just slower)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((key, payload), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / FILE)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False
    return True
