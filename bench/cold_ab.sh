#!/usr/bin/env bash
# Cold build, this tree against an earlier commit, interleaved (issue 11: "cold build no slower than today").
#
#   bench/cold_ab.sh [BASE_COMMIT] [PAIRS] [SIZE]      # defaults: 240e52a (the code issue 11 measured), 3, medium
#   SEARCH=1 bench/cold_ab.sh …                        # the default build, with the search index
#
# Each side builds the same generated corpus with its own templates and static files (as bench/gen_corpus.py
# makes it), with this checkout's virtualenv. Every run builds its own copy of the corpus in a new folder,
# after `sync` and a pause. Nothing is deleted until every run is done: ext4 allocates a new inode by
# skipping those deleted in the last 60 s (300 s while their inode table block is dirty; recently_deleted(),
# reading inode table blocks as it goes). With the last run's 4,000 files deleted 20 s before, this tree's
# builds took 2.0-3.6 s of system time, against 1.2-1.7 s without (perf: find_get_block_common,
# recently_deleted): that measured the disk's history, not the build. Start it a few minutes after deleting
# a large tree (an earlier run of this script).
# Prints one line per run: wall seconds, user+system CPU seconds, peak RSS.
# Each side's modules are compiled once before the runs (bench/ab_sides.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-240e52a}
PAIRS=${2:-3}
SIZE=${3:-medium}
source bench/ab_sides.sh
FLAGS=--no-search
if [ "${SEARCH:-0}" = 1 ]; then FLAGS=; fi
for side in base head; do
  # (a build of a copy of the side's own small repo site: every module a build imports is compiled)
  src=$(side_src $side)
  mkdir "$WORK/warm-$side" && cp -r "$src/../content" "$src/../templates" "$src/../static" "$WORK/warm-$side/"
  on_side $side "$PY" -m backoffice_site build --root "$WORK/warm-$side" $FLAGS >/dev/null 2>&1
done

for i in $(seq "$PAIRS"); do
  for side in base head; do
    cp -r "$WORK/corpus-$side" "$WORK/run-$side-$i"
  done
done
for i in $(seq "$PAIRS"); do
  for side in base head; do
    run=$WORK/run-$side-$i
    sync
    sleep 20
    on_side $side /usr/bin/time -f "$side ($([ "$side" = base ] && echo "$BASE" || git rev-parse --short HEAD)) %e s wall, %U+%S s CPU, %M KB peak" \
      "$PY" -m backoffice_site build --root "$run" $FLAGS >/dev/null 2>"$WORK/err"
    tail -1 "$WORK/err" | tee -a "$WORK/lines"
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
