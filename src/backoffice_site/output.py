"""Write stage: the new site goes into a temporary folder beside the output and is swapped in whole.

A failed build (content errors, a full disk, a crash) leaves the previous output exactly as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Hashable, Mapping
from pathlib import Path

from backoffice_site.diagnostics import Diagnostics, Loc
from backoffice_site.sources import rel


class OutputError(Exception):
    pass


def static_files(static_dir: Path, diags: Diagnostics | None = None) -> dict[str, Path]:
    """static/ files by their output path (static/ is copied to the site root).

    A symlink that leads outside static/ is left out (with a warning): publishing must never copy a file
    from elsewhere on the machine because of a stray link."""
    out: dict[str, Path] = {}
    if not static_dir.is_dir():
        return out
    top = static_dir.resolve()
    for dirpath, dirnames, filenames in os.walk(static_dir, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.startswith(".") or f.endswith("~"):
                continue
            p = Path(dirpath) / f
            target = p.resolve()
            if not target.is_relative_to(top) or not target.is_file():
                if diags is not None:
                    diags.warning(Loc(f"static/{rel(static_dir, p)}"),
                                  "symlink leads outside static/ (or nowhere); it is not published")
                continue
            out[rel(static_dir, p)] = p
    return out


Sig = tuple[int, int, int]  # (size, mtime_ns, inode): what the CLI's no-change path trusts too (manifest)
# output name → (what its bytes are, or None when the caller did not say; the file's Sig after the write)
Written = dict[str, tuple[Hashable | None, Sig]]


class Staging:
    """The new output's folder, made before the pages are rendered, so that the workers rendering them write
    each page as soon as it is made, both cores at once, instead of sending every page back to be written
    one after another (0.7–1.8 s of a 7–9 s cold build of the medium corpus). Only for a first build: with
    an output there already, ``write_tracked`` keeps its unchanged files instead. ``write_tracked(staged=…)``
    completes the folder and swaps it in; a build that fails ``discard``s it."""

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def first_build(cls, out_dir: Path | None) -> Staging | None:
        """A staging folder when ``out_dir`` does not exist yet (and could be made), else None."""
        if out_dir is None or os.path.lexists(out_dir) or not out_dir.parent.is_dir():
            return None
        try:
            sweep(out_dir)
            return cls(Path(tempfile.mkdtemp(prefix=_tmp_prefix(out_dir), dir=out_dir.parent)))
        except OSError:
            return None  # the write stage reports it

    def put(self, name: str, data: bytes) -> bytes | Path:
        """Write one file (from any worker); its path, or the bytes back when it cannot be written here (the
        write stage then writes it, and reports what goes wrong)."""
        dest = self.folder / name
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        except OSError:
            return data
        return dest

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _tmp_prefix(out_dir: Path) -> str:
    """A new output is assembled in ``.NAME.tmp-PID-…`` beside it: the PID tells ``sweep`` whose it is."""
    return f".{out_dir.name}.tmp-{os.getpid()}-"


def sweep(out_dir: Path) -> None:
    """Remove the folders that builds killed while assembling a new output left beside it (those whose
    process is gone); a build that is still running keeps its own."""
    head = f".{out_dir.name}.tmp-"
    try:
        found = [e for e in os.scandir(out_dir.parent) if e.name.startswith(head) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for e in found:
        pid = e.name[len(head):].partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(e.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (permission denied: it exists)
        return True
    return True


def write_site(out_dir: Path, files: dict[str, bytes | Path], statics: dict[str, Path],
               standby: Path | None = None) -> int:
    """``write_tracked`` without tokens; returns how many files were (re)written."""
    return write_tracked(out_dir, files, statics, standby)[0]


def write_tracked(out_dir: Path, files: dict[str, bytes | Path], statics: dict[str, Path],
                  standby: Path | None = None,
                  tokens: Mapping[str, Hashable] | None = None, known: Written | None = None,
                  staged: Staging | None = None) -> tuple[int, Written]:
    """Make ``out_dir`` hold exactly ``files`` and ``statics``; returns how many files were (re)written and
    the record to pass as ``known`` next time.

    The new tree is assembled in a folder beside the output and swapped in whole. Files whose bytes did not
    change are hard-linked from the old output instead of written again, and when nothing changed at all
    the old output is left alone: a no-change rebuild writes nothing.

    **Tokens.** Whether an output file already holds the wanted bytes is found by reading it, unless the
    caller names what the bytes are: ``tokens`` (output name → a value that stands for exactly those bytes,
    such as the digest a page was rendered from) and ``known`` (this function's record of the last write).
    A file whose token is the recorded one and whose (size, mtime, inode) are still those recorded right
    after the write is not read again; any other file is compared byte for byte.

    **Standby.** With ``standby`` (a folder in the build cache, on the output's file system), after a swap the
    old tree is kept there instead of being deleted, and the next build assembles its tree *there*: most of its
    files already are hard links to the current output's files and most of its folders exist, so an edit that
    changes a few pages costs a few writes rather than thousands of folders made and removed. Nothing in the
    standby tree is trusted: a file is kept only when it is the very file (same inode) the output holds with the
    wanted bytes, everything else is written again or removed. It is never visible as the output, so a build
    killed while it is being updated leaves the output as it was.
    """
    parent = out_dir.parent
    if not parent.is_dir():
        raise OutputError(f"the output folder's parent {parent} does not exist; create it first")
    wanted: dict[str, bytes | Path] = {**statics, **files}
    tokens = tokens or {}
    # (a first build whose pages are already in their folder, ``Staging``, has no output to keep files from)
    live = _unchanged(out_dir, wanted, tokens, known or {}) if staged is None else None
    if live is not None and len(live) == len(wanted) and _listing(out_dir) == set(wanted):
        return 0, _record(tokens, live, {})
    if staged is None:
        sweep(out_dir)
    if standby is not None and not _same_device(standby.parent, parent):
        standby = None  # a folder can only be swapped within one file system
    lock = _lock(standby) if standby is not None else None
    if lock is None:
        standby = None  # another build is using it (two builds at once): work in a fresh folder
    try:
        return _write(out_dir, wanted, live, standby, tokens, staged.folder if staged is not None else None)
    finally:
        if lock is not None:
            os.close(lock)  # closing the descriptor releases the lock


def content(data: bytes | Path) -> bytes:
    """A wanted file's bytes (a Path: a file that holds them, such as a static file or a kept output file)."""
    return data if isinstance(data, bytes) else data.read_bytes()


def trusted(out_dir: Path, name: str, sig: Sig) -> Path | None:
    """``out_dir``'s file ``name`` when it is a regular file whose (size, mtime, inode) are ``sig``."""
    path = out_dir / name
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return path if stat.S_ISREG(st.st_mode) and _sig(st) == sig else None


def _sig(st: os.stat_result) -> Sig:
    return st.st_size, st.st_mtime_ns, st.st_ino


def _record(tokens: Mapping[str, Hashable], kept: dict[str, Sig], fresh: dict[str, Sig]) -> Written:
    """What ``known`` will be next time: every file of the new output with its token and its Sig (the CLI's
    no-change record takes the Sigs from here instead of walking the output again)."""
    return {name: (tokens.get(name), sig) for part in (kept, fresh) for name, sig in part.items()}


def _lock(standby: Path) -> int | None:
    """An exclusive lock on the standby tree for this build, or None when another build holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not Unix
        return None
    try:
        fd = os.open(standby.with_name(standby.name + ".lock"), os.O_CREAT | os.O_RDWR, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _write(out_dir: Path, wanted: dict[str, bytes | Path], live: dict[str, Sig] | None,
           standby: Path | None, tokens: Mapping[str, Hashable], staged: Path | None = None) -> tuple[int, Written]:
    parent = out_dir.parent
    reuse = live is not None and standby is not None and standby.is_dir() and not standby.is_symlink()
    try:
        tmp = staged if staged is not None else standby if reuse and standby is not None else \
            Path(tempfile.mkdtemp(prefix=_tmp_prefix(out_dir), dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create a folder in {parent}: {exc.strerror}") from exc
    written = 0
    kept: dict[str, Sig] = {}  # unchanged files: the output's own file, linked (its Sig does not move)
    fresh: dict[str, Sig] = {}  # files written now
    try:
        folders, held = _prune(tmp, wanted) if reuse else ({""}, {})
        for name in sorted(wanted):
            dest = tmp / name
            data = wanted[name]
            if staged is not None and data == dest:  # written by a worker (``Staging.put``), its folder too
                fresh[name] = _sig(os.stat(dest))
                written += 1
                continue
            folder = name.rpartition("/")[0]
            if folder not in folders:
                dest.parent.mkdir(parents=True, exist_ok=True)
                folders.add(folder)
            if live and name in live:
                if held.get(name) == live[name][2]:  # the standby already holds the output's own file
                    kept[name] = live[name]
                    continue
                try:
                    _remove(dest, reuse)
                    os.link(out_dir / name, dest)
                    kept[name] = live[name]
                    continue
                except OSError:
                    pass  # file systems without hard links: copy instead
            _remove(dest, reuse)  # never write into a file that may be a link to the output's
            if isinstance(data, Path):
                shutil.copyfile(data, dest)
            else:
                dest.write_bytes(data)
            fresh[name] = _sig(os.stat(dest))
            written += 1
        os.chmod(tmp, 0o755)
        swap_in(tmp, out_dir, keep=standby)
    except OSError as exc:
        if not reuse:
            shutil.rmtree(tmp, ignore_errors=True)  # (a standby tree is left: the next build sets it right)
        raise OutputError(f"writing the site failed ({exc.strerror or exc}); {out_dir} is unchanged") \
            from exc
    return written, _record(tokens, kept, fresh)


def _same_device(a: Path, b: Path) -> bool:
    try:
        a.mkdir(parents=True, exist_ok=True)
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def _remove(path: Path, maybe: bool) -> None:
    if maybe:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _prune(folder: Path, wanted: dict[str, bytes | Path]) -> tuple[set[str], dict[str, int]]:
    """Remove from ``folder`` every file that is not wanted (and anything that is not a regular file or a
    folder), and every folder no wanted file needs; returns the folders that remain ('' for the top) and the
    inode of each file that remains (from the directory listing: no stat per file)."""
    needed = {""}
    for name in wanted:
        while "/" in name:
            name = name.rpartition("/")[0]
            if name in needed:
                break
            needed.add(name)
    held: dict[str, int] = {}
    kept: set[str] = set()

    def walk(path: str, prefix: str) -> None:
        with os.scandir(path) as it:
            entries = list(it)
        for e in entries:
            name = f"{prefix}/{e.name}" if prefix else e.name
            if e.is_dir(follow_symlinks=False):
                if name in needed:
                    kept.add(name)
                    walk(e.path, name)
                else:
                    shutil.rmtree(e.path)
            elif name in wanted and e.is_file(follow_symlinks=False):
                held[name] = e.inode()
            else:
                os.unlink(e.path)  # not wanted, a symlink, or not a regular file

    walk(str(folder), "")
    return kept | {""}, held


def _listing(folder: Path) -> set[str]:
    out: set[str] = set()
    base = len(str(folder)) + 1
    for dirpath, _, filenames in os.walk(folder):
        prefix = dirpath[base:].replace(os.sep, "/")
        out.update(f"{prefix}/{f}" if prefix else f for f in filenames)
    return out


def _unchanged(out_dir: Path, wanted: dict[str, bytes | Path], tokens: Mapping[str, Hashable],
               known: Written) -> dict[str, Sig] | None:
    """The files of ``out_dir`` that already hold the wanted bytes, with their Sig (None when there is no
    output yet). A file with the recorded token and Sig is taken as it is (see ``write_tracked``)."""
    if not out_dir.is_dir():
        return None
    same: dict[str, Sig] = {}
    for name, data in wanted.items():
        old = out_dir / name
        try:
            st = os.lstat(old)
            if not stat.S_ISREG(st.st_mode):
                continue
            sig = _sig(st)
            rec = known.get(name)
            if rec is not None and name in tokens and rec == (tokens[name], sig):
                same[name] = sig
                continue
            if isinstance(data, Path):
                if st.st_size == data.stat().st_size and old.read_bytes() == data.read_bytes():
                    same[name] = sig
            elif st.st_size == len(data) and old.read_bytes() == data:
                same[name] = sig
        except OSError:
            continue
    return same


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE): a build killed at any moment
    leaves either the old or the new output, never none. False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # this file system cannot: rename instead
        return False
    raise OSError(err, os.strerror(err), str(a))


def swap_in(new: Path, out_dir: Path, keep: Path | None = None) -> None:
    """Put ``new`` in the place of ``out_dir``; the old output becomes ``keep`` (the standby tree) when
    given and the system swaps atomically, else it is deleted."""
    if out_dir.exists() and _exchange(new, out_dir):
        if keep is None:
            shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old output
        elif new != keep:
            try:
                if keep.is_dir() and not keep.is_symlink():
                    shutil.rmtree(keep)
                elif keep.exists() or keep.is_symlink():
                    keep.unlink()
                os.rename(new, keep)
            except OSError:
                shutil.rmtree(new, ignore_errors=True)
        return
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
