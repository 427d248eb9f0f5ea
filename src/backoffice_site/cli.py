"""The command line: a thin shell around ``build``. Exit 0 ok, 1 content errors, 2 usage errors."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from backoffice_site import __version__, manifest
from backoffice_site.diagnostics import Loc, count_line, promote_warnings
from backoffice_site.options import BuildOptions
from backoffice_site.report import print_diagnostics

if TYPE_CHECKING:
    from backoffice_site.build import BuildResult
    from backoffice_site.proofread import Finding

# The engine (Markdown, Jinja, …) is imported only when a build really runs: a build whose inputs and
# output did not move since it last wrote the site answers from its record (see ``manifest``).

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="backoffice-site",
        description="Build a Japanese glossary and explainer site from content/, templates/ and static/.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def root_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--root", type=Path, default=Path("."),
                        help="site folder holding content/, templates/ and static/ (default: .)")

    b = sub.add_parser("build", help="build the site into public/",
                       description="Check the content and build the site. Nothing is written unless "
                       "the whole build succeeds.")
    root_arg(b)
    b.add_argument("--out", type=Path, help="output folder (default: ROOT/public)")
    b.add_argument("--base-url", help="override base_url from content/site.yaml")
    b.add_argument("--strict", action="store_true", help="treat warnings as errors")
    b.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    b.add_argument("--no-search", action="store_true",
                   help="skip the Pagefind search index (faster builds while editing)")

    c = sub.add_parser("check", help="run every check of build, writing nothing",
                       description="Run every validation that build runs, without writing anything.")
    root_arg(c)
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    c.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    c.add_argument("--terms", action="store_true",
                   help="print a usage report: how often each term is linked or left unlinked, and why, "
                   "and the variants (spellings to avoid) found per term")
    c.add_argument("--fix", action="store_true",
                   help="rewrite every 表記 warning (a term's variant or a style rule's avoided spelling) to "
                   "the preferred spelling, in place; only the flagged characters change")

    n = sub.add_parser("new", help="create a new article or glossary term skeleton",
                       description="Create a valid skeleton; never overwrites an existing item.")
    nsub = n.add_subparsers(dest="kind", metavar="KIND", required=True)
    na = nsub.add_parser("article", help="new article: content/articles/SLUG.md",
                         description="Create content/articles/SLUG.md with front matter to fill in.")
    root_arg(na)
    na.add_argument("slug", help="URL slug: lowercase a-z, 0-9 and '-'")
    na.add_argument("--title", help="the article's title")
    nt = nsub.add_parser("term", help="new glossary term", description="Add a term to a glossary file.")
    root_arg(nt)
    nt.add_argument("term", help="the term, e.g. 有給休暇")
    nt.add_argument("--reading", required=True, help="its reading in kana, e.g. ゆうきゅうきゅうか")
    nt.add_argument("--group", default=None,
                    help="glossary file stem or path (default: the only file, else content/glossary/inbox.yaml)")

    s = sub.add_parser("serve", help="build, serve and rebuild on every change",
                       description="Build the site, serve it, watch content/, templates/ and static/, "
                       "rebuild what changed and reload open browser tabs.")
    root_arg(s)
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    s.add_argument("--open", action="store_true", help="open the site in a browser")
    s.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    s.add_argument("--no-search", action="store_true",
                   help="keep no search index (by default it is refreshed in the background after each save)")
    return p


def _check_root(root: Path) -> Path:
    if not root.is_dir():
        raise UsageError(f"--root {root} is not a folder")
    if not (root / "content").is_dir():
        raise UsageError(f"{root.resolve()} has no content/ folder; pass --root with the site folder")
    return root.resolve()


def _check_out(root: Path, out: Path) -> Path:
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder; choose a folder (the build replaces it whole)")
    if out == root:
        raise UsageError("--out must not be the site root itself (the build replaces the whole folder)")
    for name in ("content", "templates", "static"):
        d = (root / name).resolve()
        if out == d or d in out.parents:
            raise UsageError(f"--out {out} is inside {name}/; choose a folder outside the sources")
    if out in root.parents or out == Path(out.anchor):
        raise UsageError(f"--out {out} contains the site root; choose a folder of its own")
    return out


def report(result: BuildResult) -> None:
    print_diagnostics(result.diagnostics, sys.stderr)
    dated = sum(1 for d in result.diagnostics if d.dated)
    if dated:
        # Same content, new day: say so, or an editor looks for the edit that broke the build.
        print(f"note: {dated} of these come from dates that have passed (review_by, planned changes), not from "
              "an edit: re-check those entries against their official sources, then move the dates "
              "(the pages tell readers the review is overdue until then)", file=sys.stderr)


def run() -> NoReturn:
    """The command (``backoffice-site``, ``python -m backoffice_site``): ``main``, then an exit that skips
    tearing the interpreter down, as mypy's ``hard_exit`` does. A build leaves ~100,000 objects in reference
    cycles (Python-Markdown's and Jinja's among them) that the collector would walk and free one by one
    just before the system takes the memory back whole: 0.15-0.25 s of a 1.2 s CLI edit on the medium
    corpus. Nothing of ours is left to run at exit: files are written and renamed, children waited for.

    For the same reason the collector is off for the whole run, not only inside builds (``heap.paused``):
    turned back on after one, it walked everything the build kept (0.1 s) just before the exit."""
    gc.disable()
    try:
        code = main()
    except BrokenPipeError:
        # whoever read the output went away (`check --terms | head -1`): stop quietly, as a Unix tool killed
        # by SIGPIPE does, with its status (128 + 13); the Python default is a traceback
        code = 141
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`): nothing more can be said
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "new":
            from backoffice_site import scaffold

            root = _check_root(args.root)
            if args.kind == "article":
                return scaffold.new_article(root, args.slug, args.title)
            return scaffold.new_term(root, args.term, args.reading, args.group)
        root = _check_root(args.root)
        if args.command == "serve":
            from backoffice_site.devserver import serve

            gc.enable()  # a long-lived process (``run`` turned the collector off): heap.py manages it

            return serve(root, args.host, args.port, open_browser=args.open, drafts=args.drafts,
                         search=not args.no_search)
        if args.command == "check":
            from backoffice_site.build import build

            opts = BuildOptions(root=root, strict=args.strict, drafts=args.drafts,
                                cache_dir=root / ".cache" / "backoffice-site")
            result = build(opts)
            fix_failed = False
            if args.fix:
                changed, fix_failed = run_fix(root, result)
                if changed:
                    del result
                    gc.collect()  # the first build's cycles (``run`` leaves the collector off): one site in memory
                    result = build(opts)  # report what is left after fixing
            report(result)
            if not args.fix:
                hint_fix(root, result)
            if args.terms:
                print_terms_report(result, root)
            if result.ok:
                print(f"checked {result.articles} articles and {result.terms} terms: "
                      f"{count_line(result.diagnostics)}", file=sys.stderr)
            return EXIT_OK if result.ok and not fix_failed else EXIT_CONTENT
        out = _check_out(root, args.out if args.out else root / "public")
        opts = BuildOptions(root=root, out=out, base_url=args.base_url, strict=args.strict, drafts=args.drafts,
                            cache_dir=root / ".cache" / "backoffice-site", search=not args.no_search)
        last = manifest.fast(opts)
        if last is not None:
            found = list(last.diagnostics)
            print_diagnostics(promote_warnings(found) if args.strict else found, sys.stderr)
            if args.strict and found:
                print(f"build failed; {out} was not changed", file=sys.stderr)
                return EXIT_CONTENT
            print(f"{out} is up to date: {last.pages} pages ({last.articles} articles, {last.terms} terms), "
                  "nothing changed since it was written")
            return EXIT_OK
        from backoffice_site.build import build

        result = build(opts)
        report(result)
        if not result.ok:
            print(f"build failed; {out} was not changed", file=sys.stderr)
            return EXIT_CONTENT
        print(f"wrote {result.pages} pages ({result.articles} articles, {result.terms} terms) in "
              f"{result.seconds:.2f} s to {out}")
        return EXIT_OK
    except UsageError as exc:
        print(f"backoffice-site: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _findings(root: Path, result: BuildResult) -> tuple[Finding, ...]:
    """The build's 表記 findings (the proofreading lint reports them; this gets them as data)."""
    from backoffice_site import proofread
    from backoffice_site.diagnostics import Diagnostics

    if result.linked is None:
        return ()
    return proofread.lint(root, result.linked.site, Diagnostics()).findings


def run_fix(root: Path, result: BuildResult) -> tuple[bool, bool]:
    """``check --fix``: what changed, per file, on stdout. Returns (anything changed, a file failed)."""
    from backoffice_site import fix

    changed = failed = False
    files = spans = 0
    for r in fix.fix(root, _findings(root, result)):
        if r.error:
            failed = True
            print(f"{r.path}: error: {r.error}", file=sys.stderr)
        if r.changes:
            changed = True
            files += 1
            spans += len(r.changes)
            print(f"{r.path}: fixed {len(r.changes)}")
            for c in r.changes:
                print(f"  {r.path}:{c.line}:{c.col}: '{c.found}' → '{c.prefer}'")
        for f, why in r.skipped:
            print(f"{f.loc}: warning: not fixed: {f.rule.message(f.found)}: {why}", file=sys.stderr)
    print(f"fixed {spans} span{'s' if spans != 1 else ''} in {files} file{'s' if files != 1 else ''}"
          if spans else "nothing to fix")
    return changed, failed


def hint_fix(root: Path, result: BuildResult) -> None:
    if not any("表記: " in d.message for d in result.diagnostics):
        return  # (no need to look again)
    fixable = sum(1 for f in _findings(root, result) if f.fixable)
    if fixable:
        print(f"{fixable} 表記 finding{'s' if fixable != 1 else ''} can be rewritten with: backoffice-site check "
              "--fix", file=sys.stderr)


def print_terms_report(result: BuildResult, root: Path) -> None:
    """Per term: articles linking it, linked and unlinked occurrences (and why), unused terms."""
    from backoffice_site.linked import term_usage

    ls = result.linked
    if ls is None:
        return
    site = ls.site
    usage = term_usage(ls)
    print("term\treading\tarticles\tlinked\tunlinked:repeat\tunlinked:excluded-context\t"
          "unlinked:opted-out")
    for t in site.terms:
        c = usage.get(t.slug)
        linked, repeat, excluded, opted = (c[k] if c else 0 for k in ("linked", "repeat", "excluded",
                                                                        "opted_out"))
        print(f"{t.name}\t{t.reading}\t{len(ls.backlinks[t.slug])}\t{linked}\t{repeat}\t"
              f"{excluded}\t{opted}")
    unused = [t.name for t in site.terms if not ls.backlinks[t.slug]]
    print(f"\n{len(unused)} term(s) used by no article: {', '.join(unused) if unused else '-'}")
    print_variants_report(result, root)


def print_variants_report(result: BuildResult, root: Path) -> None:
    """Per term with ``variants:``: how often each avoided spelling was found, and where first."""
    site = result.linked.site if result.linked is not None else None
    if site is None or not any(t.variants for t in site.terms):
        return
    found: dict[tuple[str, str], list[Loc]] = {}
    for f in _findings(root, result):
        if f.rule.term is not None:
            found.setdefault((f.rule.term, f.rule.avoid), []).append(f.loc)
    print("\nterm\tvariant\tfound\tfirst at")
    for t in site.terms:
        for v, _ in t.variants:
            places = found.get((t.slug, v), [])
            print(f"{t.name}\t{v}\t{len(places)}\t{min(places) if places else '-'}")
