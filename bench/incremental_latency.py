"""Incremental rebuild latency, in process, the way the dev server calls the build (issue 11).

    .venv/bin/python bench/gen_corpus.py medium /tmp/medium
    .venv/bin/python bench/incremental_latency.py /tmp/medium [--runs N]

Builds the site in memory once (cold), then times ``Builder.build(changed=[path])`` — what the dev server's
rebuild thread runs after the watcher's quiet window — for: no change, N edits of one article's body, and N
edits of one term's definition. Prints medians (min, max) in ms and which pages each kind of edit
re-rendered. Puts every file back as it was. Like the dev server, it calls ``heap.settle()`` after each build
(inside the timed span). The HTTP round trip and the watcher's debounce come on top
(bench/devserver_latency.py measures those end to end).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from backoffice_site import heap
from backoffice_site.build import Builder, BuildOptions


def _ms(values: list[float]) -> str:
    lo, mid, hi = (1000 * v for v in (min(values), statistics.median(values), max(values)))
    return f"median {mid:.0f} ms (min {lo:.0f}, max {hi:.0f})"


def _time_edits(b: Builder, root: Path, path: Path, versions: list[str]) -> tuple[list[float], list[str]]:
    """Write each version of ``path`` and time the rebuild told of it; the file is put back afterwards."""
    rel, original, times, rendered = path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"), [], []
    try:
        for text in versions:
            path.write_text(text, encoding="utf-8")
            t = time.perf_counter()
            rendered = list(b.build(changed=[rel]).rendered)
            heap.settle()  # as the dev server's rebuild thread does after every build
            times.append(time.perf_counter() - t)
    finally:
        path.write_text(original, encoding="utf-8")
        b.build(changed=[rel])
    return times, rendered


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("root", type=Path)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    root = args.root.resolve()
    b = Builder(BuildOptions(root=root, out=None, search=False))
    t = time.perf_counter()
    r = b.build()
    heap.settle()
    print(f"in-memory cold build: {time.perf_counter() - t:.2f} s, {r.pages} pages")
    t = time.perf_counter()
    b.build(changed=[])
    print(f"no change: {1000 * (time.perf_counter() - t):.0f} ms")

    article = next(iter(sorted((root / "content/articles").glob("*.md"))))
    body = article.read_text(encoding="utf-8")
    times, rendered = _time_edits(b, root, article, [body + f"\n追記の文 {i} です。\n" for i in range(args.runs)])
    print(f"article edit → rebuilt: {_ms(times)}; re-rendered {rendered}")

    glossary = next(iter(sorted((root / "content/glossary").glob("*.yaml"))))
    text = glossary.read_text(encoding="utf-8")
    m = re.search(r"\n    definition: \|\n      ([^\n]+)\n", text)
    if m is None:
        print("no block-scalar definition to edit", file=sys.stderr)
        return 1
    versions = [text[: m.end(1)] + f"追記{i}です。" + text[m.end(1):] for i in range(args.runs)]
    times, rendered = _time_edits(b, root, glossary, versions)
    print(f"term definition edit → rebuilt: {_ms(times)}; re-rendered {rendered}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
