"""``check --fix``: rewrite exactly the spans proofreading flagged, in the files on disk.

Findings point at ``line:col`` of the text as the build read it (LF line ends, BOM stripped). Here the file
is read again as bytes and every finding is placed in *that* text, with the file's own line ends, so only
the flagged characters change: the BOM, CRLF or CR line ends, trailing spaces and everything else stay as
they are. A span whose text is no longer what was flagged (the file changed since, or is not NFC) is left
alone and reported. Each file is written to a temporary file next to it and moved over it with
``os.replace``: a failed write leaves the file as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from backoffice_site.proofread import Finding

_BOM = b"\xef\xbb\xbf"
_LINE_END = re.compile(r"\r\n|\r|\n")  # what sources.read_text turns into '\n'


@dataclass(frozen=True)
class Change:
    line: int
    col: int
    found: str
    prefer: str


@dataclass(frozen=True)
class FileResult:
    path: str
    changes: tuple[Change, ...]
    skipped: tuple[tuple[Finding, str], ...]  # a finding left alone, and why
    error: str = ""  # the file could not be read or written: it is unchanged


def apply(text: str, findings: Iterable[Finding]) -> tuple[str, tuple[Change, ...], tuple[tuple[Finding, str], ...]]:
    """``text`` (a file's whole text, any line ends, no BOM) with each finding's span replaced (pure)."""
    starts = [0] + [m.end() for m in _LINE_END.finditer(text)]
    edits: list[tuple[int, int, Finding]] = []
    skipped: list[tuple[Finding, str]] = []
    for f in findings:
        if not f.fixable:
            skipped.append((f, "written through a YAML escape or folded line; fix it by hand"))
            continue
        at = starts[f.line - 1] + f.col - 1 if f.line - 1 < len(starts) else -1
        if at < 0 or text[at:at + len(f.found)] != f.found:
            skipped.append((f, "the text there is no longer what was checked; run check again"))
            continue
        edits.append((at, at + len(f.found), f))
    edits.sort(key=lambda e: e[0])
    out: list[str] = []
    changes: list[Change] = []
    pos = 0
    for s, e, f in edits:
        if s < pos:
            skipped.append((f, "overlaps another fix"))
            continue
        out.append(text[pos:s])
        out.append(f.prefer)
        changes.append(Change(f.line, f.col, f.found, f.prefer))
        pos = e
    out.append(text[pos:])
    return "".join(out), tuple(changes), tuple(skipped)


def fix_file(path: Path, name: str, findings: Iterable[Finding]) -> FileResult:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(name, (), (), f"cannot read: {exc.strerror or exc}")
    bom = data.startswith(_BOM)
    try:
        text = data[len(_BOM) if bom else 0:].decode("utf-8")
    except UnicodeDecodeError:
        return FileResult(name, (), (), "not UTF-8 any more; run check again")
    new, changes, skipped = apply(text, findings)
    if not changes:
        return FileResult(name, (), skipped)
    try:
        # Through a symlink, the file it points at is rewritten (the link stays a link).
        _write_atomically(path.resolve(), (_BOM if bom else b"") + new.encode("utf-8"))
    except OSError as exc:
        return FileResult(name, (), skipped, f"cannot write: {exc.strerror or exc}; the file was not changed")
    return FileResult(name, changes, skipped)


def _write_atomically(path: Path, data: bytes) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fix(root: Path, findings: Iterable[Finding]) -> list[FileResult]:
    """Fix every file with findings, in path order; one file failing does not stop the others."""
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    return [fix_file(root / name, name, fs) for name, fs in sorted(by_path.items())]
