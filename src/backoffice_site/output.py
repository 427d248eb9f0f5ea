"""Write stage: the new site goes into a temporary folder beside the output and is swapped in whole.

A failed build (content errors, a full disk, a crash) leaves the previous output exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from backoffice_site.sources import rel


class OutputError(Exception):
    pass


def static_files(static_dir: Path) -> dict[str, Path]:
    """static/ files by their output path (static/ is copied to the site root)."""
    out: dict[str, Path] = {}
    if not static_dir.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(static_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.startswith(".") or f.endswith("~"):
                continue
            p = Path(dirpath) / f
            out[rel(static_dir, p)] = p
    return out


def write_site(out_dir: Path, files: dict[str, bytes], statics: dict[str, Path]) -> None:
    """Write ``files`` and copy ``statics`` into a fresh folder, then swap it in for ``out_dir``."""
    parent = out_dir.parent
    if not parent.is_dir():
        raise OutputError(f"the output folder's parent {parent} does not exist; create it first")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create a folder in {parent}: {exc.strerror}") from exc
    try:
        for name, src in statics.items():
            dest = tmp / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        for name, data in files.items():
            dest = tmp / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        os.chmod(tmp, 0o755)
        swap_in(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"writing the site failed ({exc.strerror or exc}); {out_dir} is unchanged") \
            from exc


def swap_in(new: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.rename(out_dir, old)
    try:
        os.rename(new, out_dir)
    except OSError:
        if old is not None:
            os.rename(old, out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
