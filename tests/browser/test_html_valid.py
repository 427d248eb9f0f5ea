"""Every page of the built site validates with the Nu HTML checker (vnu.jar): no errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_every_page_validates(built_site: Path, vnu: list[str]) -> None:
    p = subprocess.run([*vnu, "--skip-non-html", "--format", "json", str(built_site)],
                       capture_output=True, text=True, timeout=300)
    messages = json.loads(p.stderr or p.stdout or '{"messages": []}')["messages"]
    errors = [f"{m.get('url', '').split(str(built_site))[-1]}:{m.get('lastLine', '?')}: {m.get('message')}"
              for m in messages if m.get("type") in ("error", "non-document-error")]
    assert p.returncode in (0, 1), p.stderr[-2000:]
    assert not errors, f"{len(errors)} error(s):\n" + "\n".join(errors[:40])
