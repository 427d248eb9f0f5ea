"""Hostile and broken input through the real CLI: never a traceback, always ``path:line:col: error:`` and exit 1,
and the previous ``public/`` exactly as it was.

Two sources of cases:

- ``tests/bad/<case>/``: the files that differ from ``tests/fixtures/basic`` plus ``expect.txt``, whose first line
  is ``path:line: message fragment`` (the error that must be reported) or ``exit 0`` (input that must build).
  Further lines: ``delete <path>`` (remove from the site first), ``page <output path>: <fragment>`` and
  ``not-in-page <output path>: <fragment>`` (for cases that build), ``absent <path>`` (must not exist afterwards).
- ``GENERATED`` below: what cannot or should not be committed (symlink loops, FIFOs, NFD file names, a 50 MB
  article, a sparse 10 GB file, 500 levels of nested lists), made at test time.

Faults while writing the output (missing or read-only parent, a full disk, a failed swap) and a 100,000-term
glossary come after the corpus.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import io
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO, make_site, run_cli, snapshot, without_phrase_marks

from backoffice_site import loading, output, resolve
from backoffice_site.autolink import TermMatcher
from backoffice_site.build import Builder, BuildOptions
from backoffice_site.diagnostics import Diagnostics

BAD = Path(__file__).resolve().parent / "bad"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
FM = "---\ntitle: 記事\ndescription: 説明です。\n{extra}---\n\n{body}\n"
FAST = ("--no-search",)  # the Pagefind index is not what these tests are about, and it costs a second a build


@dataclass
class Expect:
    code: int = 1
    where: str = ""  # "path:line" of the expected error
    fragment: str = ""
    delete: list[str] = field(default_factory=list)
    pages: list[tuple[str, str]] = field(default_factory=list)
    not_in_pages: list[tuple[str, str]] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)


_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[rnt\\])")


def _unescape(text: str) -> str:
    """``\\r``, ``\\n``, ``\\t``, ``\\\\`` and ``\\uXXXX`` in expect.txt (a BOM or CR cannot be written plainly)."""
    simple = {"r": "\r", "n": "\n", "t": "\t", "\\": "\\"}
    return _ESCAPE.sub(lambda m: simple.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), text)


def read_expect(case: str) -> Expect:
    return parse_expect((BAD / case / "expect.txt").read_bytes().decode("utf-8"))


def parse_expect(text: str) -> Expect:
    lines = [_unescape(line) for line in text.split("\n") if line.strip() and not line.startswith("#")]
    first, rest = lines[0], lines[1:]
    e = Expect()
    if first.strip() == "exit 0":
        e.code = 0
    else:
        path_line, _, fragment = first.partition(": ")
        path, _, line = path_line.rpartition(":")
        assert path and line.isdigit() and fragment, f"expect.txt first line must be 'path:line: fragment': {first!r}"
        e.where, e.fragment = f"{path}:{line}", fragment
    for line in rest:
        key, _, value = line.partition(" ")
        if key == "delete":
            e.delete.append(value)
        elif key in ("page", "not-in-page"):
            name, _, frag = value.partition(": ")
            (e.pages if key == "page" else e.not_in_pages).append((name, frag))
        elif key == "absent":
            e.absent.append(value)
        else:
            raise AssertionError(f"unknown expect.txt directive {line!r}")
    return e


@pytest.fixture(scope="session")
def built_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The basic fixture, built once: every case starts from a site whose public/ exists."""
    root = make_site(tmp_path_factory.mktemp("bad-base") / "site")
    r = run_cli("build", "--root", root, *FAST)
    assert r.code == 0, r.err
    return root


@pytest.fixture
def fresh(built_base: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "site"
    shutil.copytree(built_base, dest, symlinks=True)
    return dest


def overlay(src: Path, dest: Path) -> None:
    for p in sorted(src.rglob("*")):
        if p.is_file() and p.relative_to(src).as_posix() != "expect.txt":
            target = dest / p.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, target)


def run_and_check(root: Path, e: Expect, *args: str | Path) -> None:
    """Build ``root`` through the CLI and hold the result to ``e``."""
    public = root / "public"
    before = snapshot(public)
    r = run_cli("build", "--root", root, *FAST, *args, timeout=120)
    assert "Traceback" not in r.err, r.err
    assert r.code == e.code, f"exit {r.code}, expected {e.code}:\n{r.err}"
    if e.code:
        hits = [d for d in r.diagnostics
                if d.startswith(e.where + ":") and ": error: " in d and e.fragment in d]
        assert hits, f"expected {e.where}:…: error: …{e.fragment}… in:\n{r.err}"
        # every diagnostic is one line in the compiler convention, and the count line follows them
        for d in r.diagnostics:
            path, line, col, *_ = d.split(":")
            assert path and line.isdigit() and col.isdigit(), d
            assert unicodedata.is_normalized("NFC", d), d
        assert "error" in r.err.strip().splitlines()[-2], r.err
        assert snapshot(public) == before, "a failed build changed public/"
    else:
        # (line-break marks between phrases are not what these cases are about: compared without them)
        for name, frag in e.pages:
            assert frag in without_phrase_marks((public / name).read_text(encoding="utf-8")), f"{frag!r} not in {name}"
        for name, frag in e.not_in_pages:
            assert frag not in without_phrase_marks((public / name).read_text(encoding="utf-8")), f"{frag!r} in {name}"
    assert not list(root.glob(".public.*")), "temporary folders left behind"
    for path in e.absent:
        assert not Path(path).exists(), f"{path} was created: YAML ran code"


# --- the committed corpus -------------------------------------------------------------------------------

CORPUS = sorted(p.name for p in BAD.iterdir() if (p / "expect.txt").is_file())


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 40
    for name in CORPUS:
        read_expect(name)


def test_corpus_keeps_its_bytes() -> None:
    """BOM and CRLF cases are only worth something while git keeps their bytes as they are."""
    assert (BAD / "bom-article/content/articles/bom.md").read_bytes().startswith(b"\xef\xbb\xbf---")
    assert b"\r\n" in (BAD / "crlf-article/content/articles/crlf.md").read_bytes()
    cr_only = (BAD / "cr-only-article/content/articles/cr.md").read_bytes()
    assert b"\r" in cr_only and b"\n" not in cr_only
    nfd = (BAD / "nfd-text/content/articles/nfd.md").read_text(encoding="utf-8")
    assert not unicodedata.is_normalized("NFC", nfd)


@pytest.mark.parametrize("case", CORPUS)
def test_corpus(fresh: Path, case: str) -> None:
    e = read_expect(case)
    for name in e.delete:
        (fresh / name).unlink()
    overlay(BAD / case, fresh)
    run_and_check(fresh, e)


# --- generated at test time -----------------------------------------------------------------------------

def _nested_list(levels: int) -> str:
    return FM.format(extra="", body="".join("    " * i + f"- {i + 1}段目\n" for i in range(levels)))


def _fifo(root: Path) -> None:
    os.mkfifo(root / "content/articles/pipe.md")


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.truncate(size)


def _big_article(root: Path) -> None:
    para = ("有給休暇は働く人の権利です。パートで働く人にもあります。" * 20 + "\n\n").encode()
    with (root / "content/articles/huge.md").open("wb") as f:
        f.write(b"---\ntitle: \xe5\xb7\xa8\xe5\xa4\xa7\ndescription: x\n---\n\n")
        for _ in range(50 * 1024 * 1024 // len(para) + 1):
            f.write(para)


def _unreadable(root: Path) -> None:
    p = root / "content/articles/secret.md"
    p.write_text(FM.format(extra="", body="秘密"), encoding="utf-8")
    p.chmod(0)


def _nfd_names(root: Path) -> None:
    nfd = unicodedata.normalize("NFD", "ガイド")
    (root / f"content/articles/{nfd}.md").write_text(
        FM.format(extra="slug: gaido\n", body=f"{nfd}の記事です。[最初の記事](first.md)"), encoding="utf-8")
    (root / "content/articles/first.md").write_text(
        (root / "content/articles/first.md").read_text(encoding="utf-8") + "\n[ガイド](ガイド.md)\n", encoding="utf-8")


def _nfd_name_with_error(root: Path) -> None:
    nfd = unicodedata.normalize("NFD", "ガイド")
    (root / f"content/articles/{nfd}.md").write_text(FM.format(extra="slug: gaido\ntags: 3\n", body="x"),
                                                      encoding="utf-8")


def _folder_named_md(root: Path) -> None:
    (root / "content/articles/folder.md").mkdir()
    (root / "content/articles/folder.md/inner.md").write_text(
        FM.format(extra="", body="フォルダの中の記事。").replace("記事\n", "中の記事\n", 1), encoding="utf-8")


# (id, setup, expectation, skip reason or None)
GENERATED: list[tuple[str, Callable[[Path], object], Expect, str | None]] = [
    ("symlink-loop-to-parent", lambda r: os.symlink("..", r / "content/articles/loop"),
     Expect(where="content/articles/loop:1", fragment="symlink loop in content/"), None),
    ("symlink-loop-to-itself", lambda r: os.symlink(".", r / "content/glossary/again"),
     Expect(where="content/glossary/again:1", fragment="symlink loop in content/"), None),
    ("symlink-file-to-itself", lambda r: os.symlink("self.md", r / "content/articles/self.md"),
     Expect(where="content/articles/self.md:1", fragment="broken symlink"), None),
    ("dangling-symlink", lambda r: os.symlink("nowhere.md", r / "content/articles/ghost.md"),
     Expect(where="content/articles/ghost.md:1", fragment="broken symlink"), None),
    ("fifo-named-like-an-article", _fifo,
     Expect(where="content/articles/pipe.md:1", fragment="not a regular file"), None),
    ("unreadable-file-chmod-000", _unreadable,
     Expect(where="content/articles/secret.md:1", fragment="cannot read file: Permission denied"),
     "root reads any file; see test_unreadable_file_as_root for the simulation" if IS_ROOT else None),
    ("article-50-mb", _big_article,
     Expect(where="content/articles/huge.md:1", fragment="file is 50 MB; the limit is 4 MB"), None),
    ("glossary-sparse-10-gb", lambda r: _sparse(r / "content/glossary/huge.yaml", 10 * 1024**3),
     Expect(where="content/glossary/huge.yaml:1", fragment="file is 10240 MB; the limit is 64 MB"), None),
    ("nested-list-500-levels", lambda r: (r / "content/articles/deep.md").write_text(_nested_list(500)),
     Expect(where="content/articles/deep.md:505", fragment="Markdown is nested too deeply"), None),
    ("nfd-file-names", _nfd_names,
     Expect(code=0, pages=[("articles/gaido/index.html", "ガイドの記事です。"),
                           ("articles/first/index.html", 'href="/articles/gaido/"')]), None),
    ("nfd-file-name-in-diagnostic", _nfd_name_with_error,
     Expect(where="content/articles/ガイド.md:5", fragment="'tags' must be a list"), None),
    ("folder-named-like-an-article", _folder_named_md,
     Expect(code=0, pages=[("articles/inner/index.html", "フォルダの中の記事。")]), None),
]


@pytest.mark.parametrize(("setup", "expect", "skip"), [g[1:] for g in GENERATED], ids=[g[0] for g in GENERATED])
def test_generated(fresh: Path, setup: Callable[[Path], object], expect: Expect, skip: str | None) -> None:
    if skip:
        pytest.skip(skip)
    setup(fresh)
    run_and_check(fresh, expect)


def test_unreadable_file_as_root(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 does not stop root, so the read itself is made to fail (in-process, the same code path)."""
    secret = fresh / "content/articles/secret.md"
    secret.write_text(FM.format(extra="", body="秘密"), encoding="utf-8")
    real = pathlib.Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.md":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    before = snapshot(fresh / "public")
    result = Builder(BuildOptions(root=fresh, out=fresh / "public", jobs=1, search=False)).build()
    assert not result.ok
    assert [d.format() for d in result.diagnostics if d.loc.path == "content/articles/secret.md"] == [
        "content/articles/secret.md:1:1: error: cannot read file: Permission denied"]
    assert snapshot(fresh / "public") == before


# --- faults while writing the output --------------------------------------------------------------------

def test_missing_output_parent(fresh: Path) -> None:
    out = fresh / "missing" / "deeper" / "public"
    r = run_cli("build", "--root", fresh, "--out", out, *FAST)
    assert r.code == 1 and "Traceback" not in r.err
    assert any(": error: " in d and "does not exist" in d for d in r.diagnostics), r.err
    assert not (fresh / "missing").exists()


def test_output_parent_is_a_file(fresh: Path) -> None:
    (fresh / "afile").write_text("x", encoding="utf-8")
    r = run_cli("build", "--root", fresh, "--out", fresh / "afile" / "public", *FAST)
    assert r.code == 1 and "Traceback" not in r.err
    assert any(": error: " in d for d in r.diagnostics), r.err
    assert (fresh / "afile").read_text(encoding="utf-8") == "x"


@pytest.mark.skipif(IS_ROOT, reason="root writes into read-only folders; see test_output_parent_not_writable")
def test_read_only_output_parent(fresh: Path) -> None:
    parent = fresh / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        r = run_cli("build", "--root", fresh, "--out", parent / "public", *FAST)
        assert r.code == 1 and "Traceback" not in r.err
        assert any(": error: " in d and "cannot create a folder" in d for d in r.diagnostics), r.err
    finally:
        parent.chmod(0o755)


def test_output_that_is_an_existing_file_is_refused(fresh: Path) -> None:
    (fresh / "notes.txt").write_text("keep me", encoding="utf-8")
    r = run_cli("build", "--root", fresh, "--out", fresh / "notes.txt")
    assert r.code == 2 and "Traceback" not in r.err and "is a file" in r.err
    assert (fresh / "notes.txt").read_text(encoding="utf-8") == "keep me"


def _edit_article(root: Path) -> None:
    """Change one page so that the next build must write (unchanged files are only hard-linked)."""
    p = root / "content/articles/second.md"
    p.write_text(p.read_text(encoding="utf-8") + "\n追記した段落です。\n", encoding="utf-8")


def _in_tmp_output(path: object) -> bool:
    """A file in the tree being assembled: a fresh temporary folder or the kept standby tree (output.py)."""
    return ".public.tmp-" in str(path) or "/.cache/backoffice-site/standby" in str(path)


@contextlib.contextmanager
def failing_writes(monkeypatch: pytest.MonkeyPatch, after: int, err: int = errno.ENOSPC) -> Iterator[list[int]]:
    """Opening a file for writing inside the temporary output folder fails after ``after`` successes (a full
    disk); yields a one-item list counting the attempts, to prove the fault was hit."""
    attempts = [0]
    real_open = io.open

    def fake_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if _in_tmp_output(file) and any(m in mode for m in "wax+"):
            attempts[0] += 1
            if attempts[0] > after:
                raise OSError(err, os.strerror(err), str(file))
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(builtins, "open", fake_open)
    yield attempts


def _build_in_process(root: Path) -> tuple[bool, list[str]]:
    result = Builder(BuildOptions(root=root, out=root / "public", jobs=1, search=False)).build()
    return result.ok, [d.format() for d in result.diagnostics]


def test_disk_full_mid_write_leaves_the_old_output(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    after = 1  # the second file written fails: part of the new output is already in the temporary folder
    _edit_article(fresh)
    before = snapshot(fresh / "public")
    with failing_writes(monkeypatch, after) as attempts:
        ok, diags = _build_in_process(fresh)
    assert attempts[0] > after, "the write fault was never hit"
    assert not ok
    assert any(": error: " in d and "No space left on device" in d for d in diags), diags
    assert snapshot(fresh / "public") == before
    assert not list(fresh.glob(".public.*")), "temporary folders left behind"
    # and once there is space again, the same Builder input builds
    monkeypatch.undo()
    assert _build_in_process(fresh)[0]
    assert "追記した段落です。" in (fresh / "public/articles/second/index.html").read_text(encoding="utf-8")


def test_a_first_build_that_fails_leaves_no_output_and_no_folder(fresh: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A first build (no output yet) has its pages written as they are rendered, into a folder beside the
    output (output.Staging): a full disk there, or a content error, leaves neither an output nor that folder."""
    shutil.rmtree(fresh / "public")
    shutil.rmtree(fresh / ".cache", ignore_errors=True)
    with failing_writes(monkeypatch, 3) as attempts:
        ok, diags = _build_in_process(fresh)
    assert attempts[0] > 3, "the write fault was never hit"
    assert not ok and any(": error: " in d and "No space left on device" in d for d in diags), diags
    assert not (fresh / "public").exists() and not list(fresh.glob(".public.*")), "output or folder left behind"
    monkeypatch.undo()
    article = fresh / "content/articles/second.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("title:", "titel:", 1), encoding="utf-8")
    ok, diags = _build_in_process(fresh)
    assert not ok and any("title" in d for d in diags), diags
    assert not (fresh / "public").exists() and not list(fresh.glob(".public.*")), "output or folder left behind"
    article.write_text(text, encoding="utf-8")
    assert _build_in_process(fresh)[0] and (fresh / "public/articles/second/index.html").is_file()


def test_failed_swap_puts_the_old_output_back(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit_article(fresh)
    before = snapshot(fresh / "public")
    hits = [0]
    real_rename, real_replace = os.rename, os.replace

    def fail_tmp(real: Callable[..., None]) -> Callable[..., None]:
        def move(src: object, dst: object, *args: object, **kwargs: object) -> None:
            if _in_tmp_output(src):
                hits[0] += 1
                raise OSError(errno.EIO, os.strerror(errno.EIO), str(src))
            real(src, dst, *args, **kwargs)
        return move

    monkeypatch.setattr(os, "rename", fail_tmp(real_rename))
    monkeypatch.setattr(os, "replace", fail_tmp(real_replace))
    real_exchange = output._exchange

    def exchange(a: Path, b: Path) -> bool:  # the atomic swap (renameat2) fails like a rename would
        if _in_tmp_output(a):
            hits[0] += 1
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(a))
        return real_exchange(a, b)

    monkeypatch.setattr(output, "_exchange", exchange)
    ok, diags = _build_in_process(fresh)
    assert hits[0], "the swap fault was never hit"
    assert not ok and any(": error: " in d for d in diags), diags
    assert snapshot(fresh / "public") == before
    assert not list(fresh.glob(".public.*")), "temporary folders left behind"


def test_output_parent_not_writable(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only parent, simulated where chmod cannot stop us (root): the temporary folder cannot be made."""
    real = tempfile.mkdtemp

    def mkdtemp(*args: object, **kwargs: object) -> str:
        if Path(str(kwargs.get("dir", ""))) == fresh:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(fresh))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    before = snapshot(fresh / "public")
    _edit_article(fresh)
    ok, diags = _build_in_process(fresh)
    assert not ok
    assert any(": error: " in d and "Permission denied" in d for d in diags), diags
    assert snapshot(fresh / "public") == before


# --- size: a glossary of 100,000 terms ------------------------------------------------------------------

_KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"


def _reading(i: int) -> str:
    s = ""
    while True:
        s = _KANA[i % len(_KANA)] + s
        i //= len(_KANA)
        if not i:
            return "ご" + s


def many_terms(n: int) -> str:
    """``n`` valid terms, each referring to the next so that none is reported as unused."""
    return "group: 大量\nterms:\n" + "".join(
        f"  - term: 大量語{i}\n    reading: {_reading(i)}\n    slug: t{i}\n    definition: 定義{i}です。\n"
        f"    see_also: [大量語{(i + 1) % n}]\n" for i in range(n))


def test_100000_terms_load_resolve_and_match(tmp_path: Path) -> None:
    """Everything that grows with the number of terms, in-process: load, resolve (slugs, names, see_also,
    gojūon sort) and the one compiled matcher. The full CLI run is test_100000_terms_cli (opt-in: slow)."""
    root = make_site(tmp_path / "site", files={"content/glossary/many.yaml": many_terms(100_000)})
    timings = {}
    t = time.perf_counter()
    diags = Diagnostics()
    content = loading.load_content(root, diags)
    timings["load"] = time.perf_counter() - t
    t = time.perf_counter()
    site = resolve.resolve(content, diags)
    timings["resolve"] = time.perf_counter() - t
    t = time.perf_counter()
    matcher = TermMatcher([(n, term.slug) for term in site.terms for n in term.names])
    timings["matcher"] = time.perf_counter() - t
    assert not diags.errors, [d.format() for d in diags.errors[:5]]
    assert len(site.terms) == 100_000 + 6
    assert [m.key for m in matcher.finditer("本文の大量語12345と大量語99999。")] == ["t12345", "t99999"]
    # the figures are printed, not asserted: tests never assert timings (a loaded machine is not a bug)
    print("100,000 terms: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()), file=sys.stderr)


@pytest.mark.skipif(not os.environ.get("BOS_SLOW"), reason="about 2 minutes; set BOS_SLOW=1 to run")
def test_100000_terms_cli(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", files={"content/glossary/many.yaml": many_terms(100_000)})
    t = time.perf_counter()
    r = run_cli("check", "--root", root, timeout=900)
    print(f"check with 100,000 terms: {time.perf_counter() - t:.0f} s", file=sys.stderr)
    assert r.code == 0 and "Traceback" not in r.err, r.err[-2000:]


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    """`backoffice-site check --terms | head -1`: the reader is gone before the report is written. The
    command stops as a Unix tool does on SIGPIPE (status 141), without a traceback."""
    read, write = os.pipe()
    os.close(read)  # nobody will read: the first write fails
    try:
        p = subprocess.run([sys.executable, "-m", "backoffice_site", "check", "--root", str(REPO), "--terms"],
                           stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert "Traceback" not in p.stderr and "BrokenPipeError" not in p.stderr, p.stderr
    assert p.returncode == 141
