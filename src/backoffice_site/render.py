"""Render stage, part 2: pages through Jinja templates, template errors reported at file:line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from markupsafe import Markup

from backoffice_site.dates import PartialDate
from backoffice_site.diagnostics import Diagnostics, Loc
from backoffice_site.kana import to_katakana
from backoffice_site.model import SiteConfig
from backoffice_site.phrase import PhraseBreaker, PhraseFilter
from backoffice_site.sources import rel


def jsonld(value: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block: '<', '>' and '&' can never close it."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def date_ja(d: dt.date | PartialDate | None) -> str:
    if isinstance(d, PartialDate):
        return d.ja()
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


class Renderer:
    """Owns the one Jinja environment; the template API is everything registered here."""

    def __init__(self, root: Path, config: SiteConfig, static_hashes: dict[str, str], *,
                 cache_dir: Path | None = None, refs: dict[str, tuple[str, ...]] | None = None):
        """``cache_dir``: where Jinja keeps compiled templates between processes (its own bytecode cache,
        checked against each template's source); ``refs``: the memo of which templates each one uses, kept
        by the caller between processes (keyed by a digest of the source)."""
        self.root = root
        self.templates_dir = root / "templates"
        self.config = config
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.templates_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # no stat of every template for every page: template_digests clears the cache when one changed
            auto_reload=False,
            bytecode_cache=jinja2.FileSystemBytecodeCache(str(cache_dir)) if cache_dir is not None else None,
        )
        self.env.filters["jsonld"] = jsonld
        self.env.filters["date_ja"] = date_ja
        self.env.filters["katakana"] = to_katakana  # readings' katakana form, for search keys
        self.env.globals["url"] = self.url
        self.env.globals["abs_url"] = self.abs_url
        self.static_hashes = static_hashes  # replaced on each build; the environment is kept
        self.env.globals["asset"] = self.asset
        self._refs = refs if refs is not None else {}  # template source digest → templates it references
        self._sources: dict[str, tuple[str, tuple[str, ...]]] = {}  # as template_digests last read them
        # Phrase breaks in what templates print ({{ title | phrase }}); Markdown comes marked (phrase.py)
        self.env.filters["phrase"] = PhraseFilter(PhraseBreaker())  # memo lives as long as the templates

    def asset(self, path: str) -> str:
        """URL of a static file with a content hash, so browsers can cache it for as long as it is unchanged."""
        v = self.static_hashes.get(path)
        return self.url(path) + (f"?v={v}" if v else "")

    def url(self, rel_url: str) -> str:
        return self.config.base_path + rel_url.lstrip("/")

    def abs_url(self, rel_url: str) -> str:
        return self.config.base_url + rel_url.lstrip("/")

    def template_digests(self) -> dict[str, str]:
        """Per template: a digest of its file and of every template it extends, includes or imports,
        read from the templates themselves (jinja2.meta), so an edit re-renders exactly the pages using it."""
        own: dict[str, tuple[str, tuple[str, ...]]] = {}
        for p in sorted(self.templates_dir.rglob("*.html")) if self.templates_dir.is_dir() else ():
            name = p.relative_to(self.templates_dir).as_posix()
            try:
                source = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                own[name] = ("", ())
                continue
            h = hashlib.blake2b(source.encode(), digest_size=16).hexdigest()
            refs = self._refs.get(h)
            if refs is None:
                try:
                    found = jinja2.meta.find_referenced_templates(self.env.parse(source))
                    refs = tuple(sorted(r for r in found if r))
                except jinja2.TemplateSyntaxError:
                    refs = ()  # reported when a page renders with it
                self._refs[h] = refs
            own[name] = (h, refs)
        if own != self._sources:  # a template changed, came or went: compile what pages use afresh
            if self.env.cache is not None:
                self.env.cache.clear()
            self._sources = own
        out: dict[str, str] = {}
        for name in own:
            seen, stack = set(), [name]
            while stack:
                n = stack.pop()
                if n not in seen:
                    seen.add(n)
                    stack.extend(own.get(n, ("", ()))[1])
            out[name] = hashlib.blake2b(repr(sorted((n, own.get(n, ("", ()))[0]) for n in seen)).encode(),
                                        digest_size=16).hexdigest()
        return out

    def render(self, path: str, template_name: str, view: dict[str, Any], diags: Diagnostics) -> bytes | None:
        """One page: ``view`` is all the template sees besides the globals registered above."""
        try:
            template = self.env.get_template(template_name)
            return template.render(view).encode("utf-8")
        except jinja2.TemplateSyntaxError as exc:
            name = exc.filename or str(self.templates_dir / (exc.name or template_name))
            diags.error(Loc(rel(self.root, Path(name)), exc.lineno or 1, 1),
                        f"template syntax error: {exc.message}")
        except jinja2.TemplateNotFound as exc:
            diags.error(Loc(f"templates/{template_name}"), f"template not found: {exc.name} "
                        f"(looked in {rel(self.root, self.templates_dir)}/)")
        except Exception as exc:  # a template's runtime error is a content problem, not a crash
            diags.error(self._template_loc(exc, template_name), f"template error: {exc} "
                        f"(while rendering {path})")
        return None

    def _template_loc(self, exc: BaseException, template: str) -> Loc:
        """Jinja rewrites tracebacks so template frames carry the template's file and line."""
        best = Loc(f"templates/{template}")
        tdir = str(self.templates_dir.resolve())
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename and str(Path(frame.filename).resolve()).startswith(tdir):
                best = Loc(rel(self.root, Path(frame.filename)), frame.lineno or 1, 1)
        return best


def bytecode_folder(cache_dir: Path | None, engine: str) -> Path | None:
    """The folder for Jinja's compiled templates in ``cache_dir``, one per engine fingerprint (Jinja keys its
    files by template and source only, not by the environment's options, which belong to the engine's
    version); None when there is none or it cannot be made (templates are then compiled every time)."""
    if cache_dir is None:
        return None
    folder = cache_dir / "jinja" / engine
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def static_hashes(files: dict[str, Path]) -> dict[str, str]:
    """Short content hashes for cache-busting asset URLs (?v=…)."""
    return {name: hashlib.sha256(p.read_bytes()).hexdigest()[:10] for name, p in files.items()}


AbsUrl = Callable[[str], str]
