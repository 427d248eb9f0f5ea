"""How long one article save takes in a live Builder (the dev server's), by how long the process sat idle before it.

    .venv/bin/python bench/save_pause.py --root DIR [--saves 10] [--pauses 0,0.05,0.3,1]

For each pause P: appends a sentence to the first article, sleeps P seconds, then times ``Builder.build``
told that one path changed (as the dev server's rebuild thread does, without the watcher and HTTP around
it), ``--saves`` times; prints the median and range in milliseconds. Then touches a plain heap of 300,000
small dicts (3,000 of them, far apart) after the same pauses: the same slowdown without our code in it.

Why (issue 11, eighth round): on this sandbox a save's build took ~27 ms back to back and ~75 ms after a
0.3 s pause. The work is the same; memory left untouched for a fraction of a second costs more to reach
again (a virtual machine's nested page tables and caches shared with other guests), and a save that walks
every article or page pays it once per object. The editor's pause before saving is the realistic case.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from backoffice_site import heap
from backoffice_site.build import Builder, BuildOptions


def _median(ms: list[float]) -> str:
    return f"median {statistics.median(ms):6.1f} ms  (min {min(ms):.1f}, max {max(ms):.1f}, n={len(ms)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--saves", type=int, default=10)
    ap.add_argument("--pauses", default="0,0.05,0.3,1")
    args = ap.parse_args()
    pauses = [float(p) for p in args.pauses.split(",")]
    root = args.root.resolve()
    builder = Builder(BuildOptions(root=root, out=None, search=False))
    if not builder.build().ok:
        raise SystemExit("the site does not build")
    heap.settle()
    article = sorted((root / "content" / "articles").glob("*.md"))[0]
    original = article.read_text(encoding="utf-8")
    try:
        for pause in pauses:
            ms = []
            for i in range(args.saves + 2):  # (the first two after a new pause are not counted)
                article.write_text(original + f"\n追記 {pause} {i} です。\n", encoding="utf-8")
                time.sleep(pause)
                started = time.perf_counter()
                result = builder.build([article.relative_to(root)])
                took = (time.perf_counter() - started) * 1000
                heap.settle()
                if not result.ok:
                    raise SystemExit("a save failed to build")
                if i >= 2:
                    ms.append(took)
            print(f"save after {pause:4.2f} s idle: {_median(ms)}")
    finally:
        article.write_text(original, encoding="utf-8")
    objs = [{"a": i, "b": str(i), "c": [i]} for i in range(300_000)]
    for pause in pauses:
        ms = []
        for _ in range(args.saves):
            time.sleep(pause)
            started = time.perf_counter()
            sum(o["a"] + len(o["c"]) for o in objs[::100])
            ms.append((time.perf_counter() - started) * 1000)
        print(f"3,000 dicts touched after {pause:4.2f} s idle: {_median(ms)}")


if __name__ == "__main__":
    main()
