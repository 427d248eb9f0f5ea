"""What a build is asked to do (shared by the command line, the dev server and the build itself)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    out: Path | None = None  # None: do not write (check, or the dev server serving from memory)
    base_url: str | None = None
    strict: bool = False
    drafts: bool = False
    jobs: int | None = None  # worker processes for big batches; None = one per core, 1 = serial
    cache_dir: Path | None = None  # persistent cache (ROOT/.cache/backoffice-site); None = in memory only
    search: bool = True  # run Pagefind over the pages when writing output
