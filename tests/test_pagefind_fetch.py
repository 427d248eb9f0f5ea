"""Pagefind 1.6 from its npm package (pagefind_fetch): the published file or nothing, and the build uses it."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest

from backoffice_site import pagefind_fetch, search


def _package(tmp_path: Path, script: str) -> tuple[Path, str]:
    """A package .tgz like npm's, whose binary is a shell script, and its integrity string."""
    binary = f"#!/bin/sh\n{script}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(pagefind_fetch.MEMBER)
        info.size, info.mode = len(binary), 0o755
        tar.addfile(info, io.BytesIO(binary))
    tgz = tmp_path / "package.tgz"
    tgz.write_bytes(buf.getvalue())
    return tgz, "sha512-" + base64.b64encode(hashlib.sha512(buf.getvalue()).digest()).decode()


def test_the_published_package_is_installed_and_found_by_the_build(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tgz, integrity = _package(tmp_path, f"echo pagefind {pagefind_fetch.VERSION}")
    target = pagefind_fetch.installed(str(tmp_path / "venv"))
    pagefind_fetch.fetch(target, "linux-x64", integrity, tgz.as_uri())
    assert target.is_file() and os.access(target, os.X_OK)
    assert [p.name for p in target.parent.iterdir()] == ["pagefind_extended"], "no temporary file left"
    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    monkeypatch.setattr(pagefind_fetch, "installed", lambda prefix=None: target)
    assert search.find_binary() == (target, "")


@pytest.mark.parametrize("case", ["other bytes", "does not run", "another version"])
def test_anything_but_the_published_package_is_refused_and_nothing_installed(tmp_path: Path, case: str) -> None:
    tgz, integrity = _package(tmp_path, "exit 3" if case == "does not run" else
                              "echo pagefind 1.5.2" if case == "another version" else "echo pagefind 1.6.0")
    if case == "other bytes":  # the integrity of another file
        (tmp_path / "other").mkdir()
        _, integrity = _package(tmp_path / "other", "echo tampered")
    target = pagefind_fetch.installed(str(tmp_path / "venv"))
    with pytest.raises(pagefind_fetch.FetchError):
        pagefind_fetch.fetch(target, "linux-x64", integrity, tgz.as_uri())
    assert not target.exists()
    assert not target.parent.exists() or not list(target.parent.iterdir())


def test_main_without_a_package_for_the_machine_or_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "venv" / "pagefind_extended"
    monkeypatch.setattr(pagefind_fetch, "installed", lambda prefix=None: target)
    monkeypatch.setattr(pagefind_fetch, "package_for", lambda: None)
    assert pagefind_fetch.main() == 0 and "uses the PyPI binary" in capsys.readouterr().err
    monkeypatch.setattr(pagefind_fetch, "package_for", lambda: ("linux-x64", "sha512-x"))
    monkeypatch.setattr(pagefind_fetch, "URL", (tmp_path / "nowhere-{package}-{version}.tgz").as_uri())
    assert pagefind_fetch.main() == 0 and "could not fetch" in capsys.readouterr().err
    assert not target.exists()


def test_the_machines_npm_carries(tmp_path: Path) -> None:
    assert pagefind_fetch.package_for("Linux", "x86_64")[0] == "linux-x64"  # type: ignore[index]
    assert pagefind_fetch.package_for("Linux", "arm64")[0] == "linux-arm64"  # type: ignore[index]
    assert pagefind_fetch.package_for("Darwin", "arm64") is None
