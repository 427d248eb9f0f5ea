"""Shared helpers: fixture sites copied into tmp folders, the real CLI run as a subprocess."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import html5lib
import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NS = "{http://www.w3.org/1999/xhtml}"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def diagnostics(self) -> list[str]:
        return [line for line in self.err.splitlines() if ": error: " in line or ": warning: " in line]


def run_cli(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> Run:
    """The real entry point, as a user runs it: ``python -m backoffice_site``."""
    full_env = {**os.environ, "PYTHONWARNINGS": "error", **(env or {})}
    p = subprocess.run([sys.executable, "-m", "backoffice_site", *map(str, args)], cwd=cwd,
                       capture_output=True, text=True, env=full_env, timeout=timeout)
    return Run(p.returncode, p.stdout, p.stderr)


def make_site(dest: Path, fixture: str = "basic", files: dict[str, str | bytes] | None = None,
              delete: tuple[str, ...] = ()) -> Path:
    """Copy a fixture site (with the repo's templates/ and static/ unless it has its own) and apply edits."""
    src = FIXTURES / fixture
    shutil.copytree(src, dest, dirs_exist_ok=True)
    for name in ("templates", "static"):
        if not (dest / name).exists():
            shutil.copytree(REPO / name, dest / name)
    for rel in delete:
        p = dest / rel
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    for rel, data in (files or {}).items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            p.write_bytes(data)
        else:
            p.write_text(data, encoding="utf-8")
    return dest


@pytest.fixture
def site(tmp_path: Path) -> Callable[..., Path]:
    def factory(fixture: str = "basic", files: dict[str, str | bytes] | None = None,
                delete: tuple[str, ...] = ()) -> Path:
        return make_site(tmp_path / "site", fixture, files, delete)
    return factory


def parse_html(path_or_text: Path | str) -> ET.Element:
    text = path_or_text.read_text(encoding="utf-8") if isinstance(path_or_text, Path) else path_or_text
    return html5lib.parse(text, namespaceHTMLElements=True)


def find_all(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    out = []
    for el in root.iter(NS + tag):
        if cls is None or cls in (el.get("class") or "").split():
            out.append(el)
    return out


def without_phrase_marks(html: str) -> str:
    """A page as it was before phrase.py added <wbr> and <span class="nobr"> (elements without text)."""
    return re.sub(r'<wbr>|<span class="nobr">(.*?)</span>', r"\1", html, flags=re.S)  # a phrase may hold a newline


def text_of(el: ET.Element) -> str:
    return "".join(el.itertext())


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to prove a failed build changed nothing."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
