"""The no-change fast path of the command line: a small record of the last written build.

After a CLI build writes the site, the stat signatures of every input file (content/, templates/, static/)
and every output file are saved with the build's diagnostics. The next CLI build with the same options first
compares a fresh scan with that record: when nothing moved it replays the diagnostics and stops, without
loading the (large) build cache. Like git's index it trusts (size, mtime, inode) only for files whose time was
already older than the record by RACY_NS: an edit in the same clock tick as the record forces a real build.
"""

from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backoffice_site import cache
from backoffice_site.diagnostics import Diagnostic
from backoffice_site.options import BuildOptions

FILE = "last-build.pickle"
RACY_NS = 2_000_000_000
Scan = dict[str, tuple[int, int, int]]  # path → (size, mtime_ns, inode)


@dataclass(frozen=True)
class Manifest:
    key: tuple[Any, ...]  # engine fingerprint and build options
    inputs: Scan
    outputs: Scan
    written_at: int  # time.time_ns() when the record was made
    diagnostics: tuple[Diagnostic, ...]
    pages: int
    articles: int
    terms: int


def scan(*folders: Path) -> Scan:
    out: Scan = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
            dirnames.sort()
            for f in filenames:
                p = os.path.join(dirpath, f)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                out[p] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def inputs_of(root: Path) -> tuple[Path, ...]:
    return (root / "content", root / "templates", root / "static")


def unchanged(m: Manifest, key: tuple[Any, ...], root: Path, out: Path) -> bool:
    if m.key != key:
        return False
    now_inputs = scan(*inputs_of(root))
    if now_inputs != m.inputs or any(v[1] >= m.written_at - RACY_NS for v in now_inputs.values()):
        return False
    return scan(out) == m.outputs


def load(folder: Path) -> Manifest | None:
    try:
        with (folder / FILE).open("rb") as f:
            m = pickle.load(f)
    except Exception:  # missing, corrupt, from another version: just build
        return None
    return m if isinstance(m, Manifest) else None


def save(folder: Path, m: Manifest) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        cache.replace_file(folder / FILE, lambda f: pickle.dump(m, f, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # no record: the next build is just not a fast one


def key_for(opts: BuildOptions) -> tuple[Any, ...]:
    """What must be equal for a stored result to stand for a new build: engine, libraries, options."""
    return (cache.fingerprint((str(opts.root), opts.base_url, opts.drafts)), str(opts.out), opts.search,
            search_switched_off())


def fast(opts: BuildOptions) -> Manifest | None:
    """The last build's record, when nothing it read or wrote has moved since; else None."""
    if opts.cache_dir is None or opts.out is None:
        return None
    m = load(opts.cache_dir)
    if m is None or not unchanged(m, key_for(opts), opts.root, opts.out):
        return None
    return m


SEARCH_SWITCH = "BACKOFFICE_SITE_SEARCH"  # 0/off: build without the search index (tests that are not about it)


def search_switched_off() -> bool:
    return os.environ.get(SEARCH_SWITCH, "").strip().lower() in ("0", "off", "no", "false")


def record(key: tuple[Any, ...], root: Path, out: Path, diagnostics: tuple[Diagnostic, ...], pages: int,
           articles: int, terms: int, outputs: dict[str, tuple[int, int, int]] | None = None) -> Manifest:
    """``outputs``: the output's files (name under ``out``) with their (size, mtime, inode), when the writer
    has them (output.write_tracked); else the output folder is walked."""
    written = scan(out) if outputs is None else {os.path.join(out, name): sig for name, sig in outputs.items()}
    return Manifest(key, scan(*inputs_of(root)), written, time.time_ns(), diagnostics, pages, articles, terms)
