"""A build killed at any moment (SIGKILL) leaves public/ exactly as it was, and the next build — using or
discarding what the killed one left in the cache — is byte-identical to a cold build."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_cli

sys.path.insert(0, str(REPO / "bench"))
import gen_corpus


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kill") / "site"
    gen_corpus.write_corpus("small", root)
    return root


def _edit(root: Path, n: int) -> None:
    p = root / "content/articles" / gen_corpus.article_file(1 + n % 50)
    p.write_text(p.read_text(encoding="utf-8") + f"\n追記 {n} です。\n", encoding="utf-8")


def _start(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "backoffice_site", *args, "--root", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.8, 1.5, 2.5])
def test_killed_cli_build_leaves_public_and_cache_usable(corpus: Path, tmp_path: Path, delay: float) -> None:
    root = tmp_path / "site"
    shutil.copytree(corpus, root)
    assert run_cli("build", "--root", root, "--no-search").code == 0  # public/ and the cache exist
    before = _tree(root / "public")
    _edit(root, int(delay * 10))
    cold = tmp_path / "cold"  # the reference: the edited site built from scratch
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns(".cache", "public", ".public*"))
    assert run_cli("build", "--root", cold, "--no-search").code == 0
    after = _tree(cold / "public")
    proc = _start(root, "build", "--no-search")
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # all or nothing: the old site, or (killed after the swap) the whole new one — never a mix, never none
    left = _tree(root / "public")
    assert left in (before, after)
    # the next build uses whatever the killed one left in .cache/
    assert run_cli("build", "--root", root, "--no-search").code == 0
    got = _tree(root / "public")
    assert sorted(got) == sorted(after)
    for name in sorted(after):
        assert got[name] == after[name], _first_difference(name, got[name], after[name])


def test_killed_first_build_leaves_no_output_and_its_folder_is_swept(corpus: Path, tmp_path: Path) -> None:
    """A first build writes its pages as it renders them, into a folder beside the output (output.Staging):
    killed, it leaves no output (or, after the swap, the whole of it), and the next build removes the
    folder the dead process left. Killed at many moments, so that some kills land while pages are written."""
    cold = tmp_path / "cold"
    shutil.copytree(corpus, cold)
    started = time.perf_counter()
    assert run_cli("build", "--root", cold, "--no-search").code == 0
    whole = time.perf_counter() - started  # the kills are spread over the time a build takes here
    after = _tree(cold / "public")
    left_behind = 0
    for i, share in enumerate((0.15, 0.3, 0.45, 0.55, 0.62, 0.7, 0.77, 0.84, 0.9, 0.95, 1.1)):
        delay = whole * share
        root = tmp_path / f"site{i}"
        shutil.copytree(corpus, root)
        proc = _start(root, "build", "--no-search")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (root / "public").exists() or _tree(root / "public") == after, delay
        left_behind += bool(list(root.glob(".public.tmp-*")))
        assert run_cli("build", "--root", root, "--no-search").code == 0
        assert _tree(root / "public") == after, delay
        assert not list(root.glob(".public.tmp-*")), f"a killed build's folder was left behind ({delay} s)"
    assert left_behind, "no kill landed while the pages were being written: the sweep was not exercised"


def _first_difference(name: str, got: bytes, want: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
    return f"{name} differs at byte {at}: {got[max(0, at - 80):at + 80]!r} vs {want[max(0, at - 80):at + 80]!r}"


def test_killed_dev_server_never_touches_public(corpus: Path, tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(corpus, root)
    assert run_cli("build", "--root", root, "--no-search").code == 0
    before = _tree(root / "public")
    for delay in (0.2, 0.8, 1.6):
        proc = _start(root, "serve", "--port", "0")
        time.sleep(delay)
        _edit(root, int(delay * 10))  # a rebuild may be under way when it dies
        time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _tree(root / "public") == before
    assert run_cli("build", "--root", root, "--no-search").code == 0
    cold = tmp_path / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns(".cache", "public", ".public*"))
    assert run_cli("build", "--root", cold, "--no-search").code == 0
    assert _tree(root / "public") == _tree(cold / "public")
