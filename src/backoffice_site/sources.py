"""Reading source files: UTF-8 only, BOM and CRLF accepted, text normalized to NFC."""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

from backoffice_site.diagnostics import Diagnostics, Loc

MAX_FILE_BYTES = 64 * 1024 * 1024
# Python-Markdown slows down faster than the text grows (about 3 s for 4 MB, minutes for 50 MB): a longer
# article is a mistake (a pasted log or data dump), and it would stall every build and the dev server.
MAX_ARTICLE_BYTES = 4 * 1024 * 1024


def rel(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, as NFC (macOS and some archives store names decomposed: NFD)."""
    try:
        name = path.relative_to(root).as_posix()
    except ValueError:
        name = path.as_posix()
    return unicodedata.normalize("NFC", name)


def read_text(path: Path, root: Path, diags: Diagnostics, limit: int = MAX_FILE_BYTES) -> str | None:
    """The file's text (NFC, LF line ends, BOM stripped), or None with a diagnostic."""
    name = rel(root, path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            diags.error(Loc(name), "not a regular file (a folder, FIFO, socket or device); remove it")
            return None
        size = st.st_size
        if size > limit:
            mb = size / (1024 * 1024)
            diags.error(Loc(name), f"file is {mb:.{0 if mb >= 10 else 1}f} MB; the limit is "
                        f"{limit // (1024 * 1024)} MB — split it")
            return None
        data = path.read_bytes()
    except OSError as exc:
        diags.error(Loc(name), f"cannot read file: {exc.strerror or exc}")
        return None
    if b"\x00" in data:
        diags.error(Loc(name), "binary file in content/ (it holds NUL bytes); move it to static/")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1  # characters, not bytes
        diags.error(Loc(name, line, col),
                    f"file is not UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8")
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def walk(directory: Path, suffixes: tuple[str, ...], root: Path, diags: Diagnostics) -> list[Path]:
    """Files under ``directory`` with one of ``suffixes``, sorted; symlink loops are reported."""
    found: list[Path] = []
    if not directory.is_dir():
        return found
    seen_dirs: set[tuple[int, int]] = set()

    def onerror(exc: OSError) -> None:
        diags.error(Loc(rel(root, Path(exc.filename or directory))), f"cannot read folder: {exc.strerror}")

    for dirpath, dirnames, filenames in os.walk(directory, followlinks=True, onerror=onerror):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            diags.error(Loc(rel(root, _innermost_link(Path(dirpath), directory))),
                        "symlink loop in content/ (a folder link points back to a folder above it); "
                        "remove the link")
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.startswith(".") or f.endswith("~"):
                continue  # editor temp and backup files
            p = Path(dirpath) / f
            if p.suffix.lower() in suffixes:
                if not p.exists():
                    diags.error(Loc(rel(root, p)), "broken symlink; remove it or point it at a file")
                    continue
                if not p.is_file():  # a FIFO would block the build forever
                    diags.error(Loc(rel(root, p)), "not a regular file (a folder, FIFO, socket or device); remove it")
                    continue
                found.append(p)
    found.sort(key=lambda p: unicodedata.normalize("NFC", p.as_posix()))
    return found


def _innermost_link(path: Path, top: Path) -> Path:
    """The deepest symlink between ``top`` and ``path`` (where a loop was entered), else ``path``."""
    p = path
    while p != top and p != p.parent:
        if p.is_symlink():
            return p
        p = p.parent
    return path
