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


@pytest.mark.parametrize("delay", [0.0, 0.15, 0.4, 0.8, 1.5, 2.5])
def test_killed_cli_build_leaves_public_and_cache_usable(corpus: Path, tmp_path: Path, delay: float) -> None:
    root = tmp_path / "site"
    shutil.copytree(corpus, root)
    assert run_cli("build", "--root", root, "--no-search").code == 0  # public/ and the cache exist
    before = _tree(root / "public")
    _edit(root, int(delay * 10))
    proc = _start(root, "build", "--no-search")
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_midway = proc.returncode == -signal.SIGKILL
    cold = tmp_path / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns(".cache", "public", ".public*"))
    assert run_cli("build", "--root", cold, "--no-search").code == 0
    if killed_midway:
        # all or nothing: the old pages, or (killed after the swap, while saving the cache) the new ones
        assert _tree(root / "public") in (before, _tree(cold / "public"))
    # the next build uses whatever the killed one left in .cache/
    assert run_cli("build", "--root", root, "--no-search").code == 0
    assert _tree(root / "public") == _tree(cold / "public")


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
