"""Lighthouse (mobile preset) over the key pages of the built site, served on 127.0.0.1.

Performance, accessibility and best practices must score 100 on every page, and SEO 100 on every page a
search engine may index (the search page is ``noindex`` on purpose). One Chromium serves every run, and each
page is audited once: a Lighthouse run takes 10–20 s. The JSON and HTML reports are kept under
test-artifacts/lighthouse/. Tools: Lighthouse (pinned in .ci/setup-browser, or $LIGHTHOUSE_CLI), Node and
Debian's Chromium; missing ones skip the test outside CI and fail it in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import CHROMIUM, NODE_MODULES, missing

pytestmark = pytest.mark.browser

LIGHTHOUSE = Path(os.environ.get("LIGHTHOUSE_CLI", NODE_MODULES / "lighthouse" / "cli" / "index.js"))
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")

# Scores known to fall short, with the reason; the test reports them as expected failures (xfail) with the
# scores and failing audits, and still asserts every other category. Remove an entry when its fix lands.
KNOWN_SHORT = {
    ("glossary", "performance"): "issue 12: the one-page glossary (about 290 KB, 4,600 DOM elements) is slow to "
                                 "lay out on a phone; it is being split into smaller pages",
    ("search", "performance"): "issue 12: the search page inserts its results after load (layout shift) and "
                               "loads the Pagefind bundle on the critical path",
}

# (name, path under the site root, indexable). Add a page here to audit it too (e.g. a timeline page).
PAGES = [
    ("home", "", True),
    ("article", "articles/hataraku-rule/", True),
    ("glossary", "glossary/", True),
    ("term", "glossary/yukyu-kyuka/", True),
    ("search", "search/?q=有給", False),
    ("changes", "changes/", True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def chrome_port() -> Iterator[int]:
    """One headless Chromium with a debugging port on 127.0.0.1; Lighthouse connects to it for every page."""
    if not Path(CHROMIUM).is_file():
        missing(f"Chromium is not installed at {CHROMIUM}")
    if shutil.which("node") is None:
        missing("Node.js is not installed (Lighthouse runs on it)")
    if not LIGHTHOUSE.is_file():
        missing(f"Lighthouse is not installed at {LIGHTHOUSE}")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="lighthouse-chrome-") as profile:
        args = [CHROMIUM, "--headless=new", f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={profile}", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
                "--disable-features=Translate,MediaRouter,OptimizationHints", "--disable-quic", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        pytest.fail("Chromium did not open its debugging port", pytrace=False)
                    time.sleep(0.2)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# Lighthouse's mobile preset slows the CPU down 4×, which its docs calibrate for a high-end desktop host
# (benchmark index 1500–2000): the target phone is about a quarter of that. A slower or busy host (a shared
# CI runner) is given a smaller multiplier so that the simulated phone stays the same phone, as the docs
# advise (docs/throttling.md, "CPU throttling"); never more than the preset's 4×, never less than 1×.
TARGET_BENCHMARK_INDEX = 400


def _lighthouse(url: str, port: int, out: Path, *extra: str) -> dict[str, Any]:
    run = subprocess.run(
        ["node", str(LIGHTHOUSE), url, f"--port={port}", "--hostname=127.0.0.1", "--output=json", "--output=html",
         f"--output-path={out}", "--quiet", *extra],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report: dict[str, Any] = json.loads(out.with_suffix(".report.json").read_text(encoding="utf-8"))
    assert not report.get("runtimeError"), report.get("runtimeError")
    return report


def _multiplier(benchmark_index: float) -> float:
    return round(min(4.0, max(1.0, benchmark_index / TARGET_BENCHMARK_INDEX)), 2)


@pytest.fixture(scope="module")
def cpu_multiplier(chrome_port: int, site_url: str, artifacts: Path) -> float:
    """The CPU slowdown for this host: $LIGHTHOUSE_CPU_MULTIPLIER, or measured by one short calibration run."""
    if os.environ.get("LIGHTHOUSE_CPU_MULTIPLIER"):
        return float(os.environ["LIGHTHOUSE_CPU_MULTIPLIER"])
    out = artifacts / "lighthouse"
    out.mkdir(exist_ok=True)
    report = _lighthouse(site_url + "404.html", chrome_port, out / "calibration", "--only-audits=viewport")
    index = float(report["environment"]["benchmarkIndex"])
    multiplier = _multiplier(index)
    print(f"lighthouse: host benchmark index {index:.0f}, CPU slowdown {multiplier}×")
    return multiplier


def _failing_audits(report: dict[str, Any], category: str) -> list[str]:
    audits = report["audits"]
    out = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
            out.append(f"{ref['id']} ({audit['score']}): {audit.get('displayValue') or audit['title']}")
    return out


@pytest.mark.parametrize("name,path,indexable", PAGES, ids=[p[0] for p in PAGES])
def test_lighthouse_scores_100(chrome_port: int, cpu_multiplier: float, site_url: str, artifacts: Path, name: str,
                               path: str, indexable: bool) -> None:
    out = artifacts / "lighthouse"
    out.mkdir(exist_ok=True)
    def audit(multiplier: float) -> tuple[dict[str, Any], dict[str, int]]:
        report = _lighthouse(site_url + path, chrome_port, out / name, f"--only-categories={','.join(CATEGORIES)}",
                             f"--throttling.cpuSlowdownMultiplier={multiplier}")
        scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
        index = report["environment"]["benchmarkIndex"]
        print(f"lighthouse {name}: {scores} (benchmark index {index:.0f}, CPU slowdown {multiplier}×)")
        return report, scores

    report, scores = audit(cpu_multiplier)
    during = _multiplier(report["environment"]["benchmarkIndex"])
    if scores["performance"] < 100 and not os.environ.get("LIGHTHOUSE_CPU_MULTIPLIER") and during < cpu_multiplier:
        # The host was busier during this run than when it was calibrated (other jobs on a shared runner):
        # once more, slowed down to match the host as this run measured it.
        report, scores = audit(during)
    wanted = [c for c in CATEGORIES if indexable or c != "seo"]
    if not os.environ.get("LIGHTHOUSE_PERFORMANCE"):
        # Performance scores on a shared 2-core runner follow the machine's load (home measured 77–100 on
        # one host), so `make test` asserts the deterministic categories and `make lighthouse` (which sets
        # LIGHTHOUSE_PERFORMANCE=1, on a quiet machine) asserts performance too. The score is printed above.
        wanted.remove("performance")
    low = {c: _failing_audits(report, c) for c in wanted if scores[c] < 100}
    known = {c: KNOWN_SHORT[name, c] for c in low if (name, c) in KNOWN_SHORT}
    index = report["environment"]["benchmarkIndex"]
    if "performance" in low and "performance" not in known and index < TARGET_BENCHMARK_INDEX:
        # Even unslowed, the host ran slower than the phone Lighthouse simulates (it warns about this
        # itself): the performance score then measures the host's load, not the page.
        known["performance"] = (f"host slower than the simulated phone during the run (benchmark index "
                                f"{index:.0f} < {TARGET_BENCHMARK_INDEX}); run on a quieter machine")
    assert not set(low) - set(known), f"{name} scores {scores}; failing audits: {low}"
    if known:
        pytest.xfail(f"{name} scores {scores}; failing audits: {low}; why: {known}")
