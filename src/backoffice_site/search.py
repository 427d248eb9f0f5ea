"""Full-text search: the Pagefind index of the built pages, made at the end of a build that writes output.

Pagefind's *extended* binary (PyPI ``pagefind[extended]``) is needed for Japanese: it segments words when
indexing, so parts of compounds (休暇 in 有給休暇) are found. The plain binary indexes a Japanese sentence
as a handful of long "words" and finds almost nothing.

The pages are staged in a temporary folder and indexed there; the bundle's files are returned and join
the build's files, so they are written together with the pages (one swap, never half an index) and a
rebuild that changes nothing writes nothing. Pagefind's output is a pure function of its input: the same
pages give byte-identical bundles.

Only what the templates mark with ``data-pagefind-body`` is indexed (article and term pages and the
glossary); navigation, footers and pages without the attribute are left out.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from backoffice_site.diagnostics import Diagnostic, Loc, Severity
from backoffice_site.manifest import search_switched_off as switched_off

BUNDLE = "pagefind"  # the bundle's folder in the output; templates load BUNDLE/pagefind.js
TIMEOUT = 300  # seconds; 1000 pages take about 2 s
_HINT = "install it with: pip install 'pagefind[extended]'"


def find_binary() -> tuple[Path | None, str]:
    """The Pagefind binary to run, and a note when it is missing or not the extended build.

    Looked up like Pagefind's own Python wrapper: $PAGEFIND_BINARY_PATH, the pagefind_bin_extended
    package, then ``pagefind_extended`` on PATH. The plain binary is a last resort (with a warning).
    """
    env = os.environ.get("PAGEFIND_BINARY_PATH")
    if env:
        p = Path(env)
        if not p.is_file():
            return None, f"the Pagefind binary PAGEFIND_BINARY_PATH={env} is not a file; the site has no search index"
        return p, ""
    for package, name in (("pagefind_bin_extended", "pagefind_extended"), ("pagefind_bin", "pagefind")):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            p = Path(spec.origin).parent / name
            if p.is_file():
                return p, "" if name == "pagefind_extended" else (
                    f"using the plain Pagefind binary, which cannot split Japanese into words; {_HINT}")
    found = shutil.which("pagefind_extended")
    if found:
        return Path(found), ""
    return None, f"the Pagefind binary was not found, so the site has no search index; {_HINT}"


SearchMemo = dict[str, tuple[str, dict[str, bytes]]]  # "pagefind" → (digest of the indexed pages, bundle)
MARK = b"data-pagefind-body"


def index(files: dict[str, bytes], diagnostics: list[Diagnostic],
          memo: SearchMemo | None = None) -> dict[str, bytes]:
    """Index the HTML among ``files``; returns the bundle's files by output path, appends any warning.

    Never fails the build: a missing binary or a failed run is a warning, and the site works without
    search (the search page says so and points to the glossary). The last result is kept, so a rebuild
    whose pages did not change does not run Pagefind again (``memo``, kept by the Builder and its cache).
    ``BACKOFFICE_SITE_SEARCH=0`` skips indexing
    without a warning (quick builds, tests that are not about search).
    """
    if switched_off():
        return {}
    binary, note = find_binary()
    if note:
        diagnostics.append(Diagnostic(Loc("pagefind"), Severity.WARNING, note))
    if binary is None:
        return {}
    # Only pages marked for the index are staged: Pagefind would read and skip the others.
    pages = {name: data for name, data in files.items() if name.endswith(".html") and MARK in data}
    h = hashlib.blake2b(str(binary).encode(), digest_size=16)
    for name in sorted(pages):
        h.update(name.encode() + b"\0" + hashlib.blake2b(pages[name], digest_size=16).digest())
    key = h.hexdigest()
    if memo is not None and memo.get("pagefind", ("", {}))[0] == key:
        return dict(memo["pagefind"][1])
    bundle, problem = _run(binary, pages)
    if problem:
        diagnostics.append(Diagnostic(Loc("pagefind"), Severity.WARNING, f"{problem}; the site has no search index"))
        return {}
    if memo is not None:
        memo["pagefind"] = (key, bundle)
    return dict(bundle)


def _run(binary: Path, pages: dict[str, bytes]) -> tuple[dict[str, bytes], str]:
    with tempfile.TemporaryDirectory(prefix="backoffice-search-") as tmp:
        site, out = Path(tmp) / "site", Path(tmp) / "bundle"
        site.mkdir()
        for name, data in pages.items():
            dest = site / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        try:
            run = subprocess.run([str(binary), "--site", str(site), "--output-path", str(out), "--quiet"],
                                 capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {}, f"Pagefind could not run ({exc})"
        if run.returncode != 0 or not (out / "pagefind.js").is_file():
            detail = (run.stderr or run.stdout).strip().splitlines()
            return {}, f"Pagefind failed (exit {run.returncode}{': ' + detail[-1] if detail else ''})"
        return {f"{BUNDLE}/{p.relative_to(out).as_posix()}": p.read_bytes()
                for p in sorted(out.rglob("*")) if p.is_file()}, ""
