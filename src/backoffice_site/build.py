"""The pipeline, end to end: load → resolve → render Markdown → pages → templates → write."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from backoffice_site import load, output, pages, resolve
from backoffice_site.diagnostics import Diagnostic, Diagnostics, Loc, Severity, promote_warnings
from backoffice_site.render import Renderer, static_hashes


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    out: Path | None = None  # None: do not write (check)
    base_url: str | None = None
    strict: bool = False
    drafts: bool = False
    dev_script: str = ""  # injected by the dev server only


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic]
    files: dict[str, bytes] = field(default_factory=dict)
    statics: dict[str, Path] = field(default_factory=dict)
    articles: int = 0
    terms: int = 0
    seconds: float = 0.0
    usage: dict[str, Counter[str]] = field(default_factory=dict)
    unused_terms: list[str] = field(default_factory=list)
    articles_linking: dict[str, int] = field(default_factory=dict)
    site: resolve.Site | None = None

    @property
    def ok(self) -> bool:
        return not any(d.severity.value == "error" for d in self.diagnostics)

    @property
    def pages(self) -> int:
        return sum(1 for p in self.files if p.endswith(".html"))


def today() -> dt.date:
    """The build's idea of today: SOURCE_DATE_EPOCH when set, so builds are reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def build(opts: BuildOptions) -> BuildResult:
    """Run every stage, collect every problem; write only when nothing is wrong."""
    started = time.perf_counter()
    diags = Diagnostics()
    root = opts.root
    content = load.load_content(root, diags, base_url=opts.base_url, drafts=opts.drafts)
    site = resolve.resolve(content, diags, today())
    statics = output.static_files(root / "static")
    rendered = pages.render_markdown(site, diags, frozenset(statics))

    usage = pages.term_usage(site, rendered)
    referenced = pages.referenced_by_terms(site, rendered)
    back = pages.backlinks(site, rendered)
    unused = [t.slug for t in site.terms if not back[t.slug]]
    for t in site.terms:
        if not back[t.slug] and t.slug not in referenced:
            diags.warning(t.loc, f"term '{t.name}' is used by no article and referred to by no other "
                          "term; link it from an article or another term's see_also")

    renderer = Renderer(root, content.config, static_hashes(statics), opts.dev_script)
    files: dict[str, bytes] = {}
    for page in pages.build_pages(site, rendered, renderer.abs_url):
        data = renderer.render(page, diags)
        if data is not None:
            files[page.path] = data
    for name in sorted(set(files) & set(statics)):
        diags.error(Loc(f"static/{name}"), f"static file '{name}' would overwrite a generated page; "
                    "rename or move it")

    result_diags = diags.sorted()
    if opts.strict:
        result_diags = promote_warnings(result_diags)
    result = BuildResult(result_diags, files, statics, len(site.articles), len(site.terms),
                         usage=usage, unused_terms=unused, site=site,
                         articles_linking={s: len(a) for s, a in back.items()})
    if result.ok and opts.out is not None:
        try:
            output.write_site(opts.out, files, statics)
        except output.OutputError as exc:
            result.diagnostics.append(Diagnostic(Loc(str(opts.out)), Severity.ERROR, str(exc)))
    result.seconds = time.perf_counter() - started
    return result

