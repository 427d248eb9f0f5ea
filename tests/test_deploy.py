"""Deploying (docs/deploy.md): the ``_headers`` the build emits, a site hosted under a sub-path, and the
recipes' files (GitHub Pages workflow, netlify.toml) agreeing with the build."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from conftest import REPO, parse_html, run_cli

from backoffice_site import headers

SUB = "https://example.org/sub/"
URL_ATTRS = ("href", "src", "action", "content", "data-base", "data-bundle", "data-glossary")


def _rules(text: str) -> dict[str, list[tuple[str, str]]]:
    """``_headers`` parsed the way Netlify and Cloudflare read it: a path line, then indented headers."""
    rules: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith((" ", "\t")):
            assert current is not None, line
            name, _, value = line.strip().partition(":")
            rules[current].append((name.strip().lower(), value.strip()))
        else:
            assert line not in rules, f"path listed twice: {line}"
            current = line.strip()
            rules[current] = []
    return rules


def _matches(pattern: str, path: str) -> bool:
    return path == pattern or (pattern.endswith("*") and path.startswith(pattern[:-1]))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deploy") / "public"
    r = run_cli("build", "--root", REPO, "--out", out, "--no-search")
    assert r.code == 0, r.err
    return out


@pytest.fixture(scope="module")
def built_sub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deploy-sub") / "public"
    r = run_cli("build", "--root", REPO, "--out", out, "--no-search", "--base-url", SUB)
    assert r.code == 0, r.err
    return out


def _fingerprinted_urls(site: Path) -> dict[str, str]:
    """Every ``path?v=hash`` URL the pages load, as path → hash."""
    found: dict[str, str] = {}
    for page in site.rglob("*.html"):
        for el in parse_html(page).iter():
            for attr in ("href", "src"):
                parts = urlsplit(el.get(attr) or "")
                m = re.fullmatch(r"v=([0-9a-f]+)", parts.query)
                if m and not parts.netloc:
                    assert found.setdefault(parts.path, m.group(1)) == m.group(1), parts.path
    return found


@pytest.mark.parametrize("which", ["built", "built_sub"])
def test_headers_cache_exactly_the_fingerprinted_assets_for_a_year(which: str, request: pytest.FixtureRequest) -> None:
    site: Path = request.getfixturevalue(which)
    base = urlsplit(SUB).path if which == "built_sub" else "/"
    rules = _rules((site / headers.FILE).read_text(encoding="utf-8"))
    urls = _fingerprinted_urls(site)
    assert {"/css/site.css", "/js/site.js"} <= {u[len(base) - 1:] for u in urls}
    immutable = {p for p, hs in rules.items() if ("cache-control", "public, max-age=31536000, immutable") in hs}
    assert {p for p in immutable if not p.endswith("*")} == set(urls)
    for url, v in urls.items():
        # the fingerprint is the file's content: a changed file gets a new URL
        data = (site / url[len(base):]).read_bytes()
        assert hashlib.sha256(data).hexdigest()[:10] == v
    # no HTML page is cached for long: every page is revalidated (the host's default)
    for page in site.rglob("*.html"):
        path = base + page.relative_to(site).as_posix()
        for pattern in immutable:
            assert not _matches(pattern, path) and not _matches(pattern, path.removesuffix("index.html"))
    # two rules that match one path never set the same header (both hosts would join the values)
    for a, ha in rules.items():
        for b, hb in rules.items():
            if a < b and (_matches(a, b.rstrip("*")) or _matches(b, a.rstrip("*"))):
                assert not {n for n, _ in ha} & {n for n, _ in hb}, (a, b)
    assert rules[base + "feed.xml"] == [("content-type", "application/atom+xml; charset=utf-8")]


def _internal_urls(site: Path) -> list[tuple[str, str, str]]:
    """(page, attribute, URL) for every URL a page of the sub-path site points at on its own host, resolved."""
    out = []
    for page in site.rglob("*.html"):
        rel = page.relative_to(site).as_posix()
        page_url = urljoin(SUB, rel.removesuffix("index.html"))
        for el in parse_html(page).iter():
            for attr in URL_ATTRS:
                value = el.get(attr)
                if not value or (attr == "content" and not re.match(r"(https?:)?/", value)):
                    continue
                url = urljoin(page_url, value)
                parts = urlsplit(url)
                if parts.scheme in ("http", "https") and parts.netloc == "example.org":  # relative ones too
                    out.append((rel, attr, url))
    return out


def test_a_sub_path_site_keeps_every_link_and_asset_under_its_path(built_sub: Path) -> None:
    urls = _internal_urls(built_sub)
    assert len(urls) > 1000
    outside = [(p, u) for p, _, u in urls if not urlsplit(u).path.startswith("/sub/")]
    assert not outside, outside[:10]
    missing = set()
    for _, attr, u in urls:
        if attr == "data-bundle":
            continue  # the search bundle's folder, written only when the index is built
        path = urlsplit(u).path[len("/sub/"):]
        target = built_sub / path
        if not (target.is_file() or (target / "index.html").is_file()):
            missing.add(u)
    assert not missing, sorted(missing)[:10]
    for name in ("sitemap.xml", "feed.xml", "robots.txt"):
        for url in re.findall(r"https?://[^\s<\"]+", (built_sub / name).read_text(encoding="utf-8")):
            if urlsplit(url).netloc == "example.org":
                assert urlsplit(url).path.startswith("/sub/"), (name, url)


def test_the_github_pages_workflow_builds_with_the_cache_and_deploys_public() -> None:
    wf = yaml.safe_load((REPO / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))
    steps = [s for job in wf["jobs"].values() for s in job.get("steps", [])]
    uses = [s.get("uses", "") for s in steps]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".cache/backoffice-site"
    build = next(s for s in steps if "backoffice-site build" in s.get("run", ""))
    assert "--strict" in build["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "public"
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert uses.index(cache["uses"]) < steps.index(build) < uses.index(upload["uses"])


def test_netlify_config_publishes_what_the_build_writes() -> None:
    text = (REPO / "netlify.toml").read_text(encoding="utf-8")
    assert re.search(r'^\s*publish\s*=\s*"public"', text, re.M)
    command = re.search(r'^\s*command\s*=\s*"([^"]+)"', text, re.M)
    assert command and "backoffice-site build" in command.group(1)
