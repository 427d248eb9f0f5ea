#!/usr/bin/env bash
# Cold build, this tree against an earlier commit, interleaved (issue 11: "cold build no slower than today").
#
#   bench/cold_ab.sh [BASE_COMMIT] [PAIRS] [SIZE]      # defaults: 240e52a (the code issue 11 measured), 3, medium
#   SEARCH=1 bench/cold_ab.sh …                        # the default build, with the search index
#
# Each side builds the same generated corpus with its own templates and static files (as bench/gen_corpus.py
# makes it), with this checkout's virtualenv. Every run starts from a fresh copy of the corpus in a new
# folder, after `sync` and a pause: right after `rm -rf` of an output, ext4 spends up to two seconds finding
# inodes for the next one in the same block group (recently_deleted), which would measure the disk's
# history rather than the build. Prints one line per run: wall seconds, user+system CPU seconds, peak RSS.
# Each side's modules are compiled once before the runs, into a bytecode folder of its own, as an installed
# package is (a machine that sets PYTHONDONTWRITEBYTECODE would otherwise compile every module of the side
# whose checkout has no up-to-date bytecode on every run, ~0.1-0.2 s).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-240e52a}
PAIRS=${2:-3}
SIZE=${3:-medium}
PY=$PWD/.venv/bin/python
WORK=$(mktemp -d)
trap 'git worktree remove --force "$WORK/base" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

git worktree add -q --detach "$WORK/base" "$BASE"
(cd "$WORK/base" && "$PY" bench/gen_corpus.py "$SIZE" "$WORK/corpus-base" >/dev/null)
"$PY" bench/gen_corpus.py "$SIZE" "$WORK/corpus-head" >/dev/null
unset PYTHONDONTWRITEBYTECODE
FLAGS=--no-search
if [ "${SEARCH:-0}" = 1 ]; then FLAGS=; fi
for side in base head; do
  if [ "$side" = base ]; then src=$WORK/base/src; else src=$PWD/src; fi
  # (a build of a copy of the side's own small repo site: every module a build imports is compiled)
  mkdir "$WORK/warm-$side" && cp -r "$src/../content" "$src/../templates" "$src/../static" "$WORK/warm-$side/"
  PYTHONPYCACHEPREFIX=$WORK/pyc-$side PYTHONPATH=$src "$PY" -m backoffice_site build --root "$WORK/warm-$side" \
    $FLAGS >/dev/null 2>&1
done

for i in $(seq "$PAIRS"); do
  for side in base head; do
    if [ "$side" = base ]; then src=$WORK/base/src; else src=$PWD/src; fi
    run=$WORK/run-$side-$i
    cp -r "$WORK/corpus-$side" "$run"
    sync
    sleep 20
    PYTHONPYCACHEPREFIX=$WORK/pyc-$side PYTHONPATH=$src /usr/bin/time -f "$side ($([ "$side" = base ] && echo "$BASE" || git rev-parse --short HEAD)) %e s wall, %U+%S s CPU, %M KB peak" \
      "$PY" -m backoffice_site build --root "$run" $FLAGS >/dev/null 2>"$WORK/err"
    tail -1 "$WORK/err" | tee -a "$WORK/lines"
    rm -rf "$run"
  done
done
# the medians and the ratio of each pair (head / base): pairs run minutes apart on a noisy machine
"$PY" - "$WORK/lines" <<'PY'
import statistics, sys
walls = {"base": [], "head": []}
for line in open(sys.argv[1], encoding="utf-8"):
    side, _, rest = line.partition(" (")
    walls[side].append(float(rest.split(") ")[1].split(" s wall")[0]))
ratios = [h / b for b, h in zip(walls["base"], walls["head"])]
print(f"median wall: base {statistics.median(walls['base']):.2f} s, head {statistics.median(walls['head']):.2f} s; "
      f"head/base per pair {' '.join(f'{r:.2f}' for r in ratios)}, median {statistics.median(ratios):.2f}")
PY
