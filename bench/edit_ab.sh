#!/usr/bin/env bash
# CLI rebuild after one article edit (persistent cache, --no-search), this tree against an earlier commit,
# interleaved (issue 11: "< 1 s"; absolute times on a shared machine move by 2× within hours, so compare).
#
#   bench/edit_ab.sh [BASE_COMMIT] [EDITS] [SIZE]      # defaults: HEAD~1, 7, medium
#
# Each side gets the same generated corpus (its own templates and static files), built twice first (the
# second build fills the standby tree); then each round appends a sentence to the same article on both
# sides and times `build --no-search`, base then head. Modules are compiled once per side (the first
# builds; bench/ab_sides.sh). Prints one line per build and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-HEAD~1}
EDITS=${2:-7}
SIZE=${3:-medium}
source bench/ab_sides.sh
for side in base head; do
  for _ in 1 2; do
    on_side $side "$PY" -m backoffice_site build --root "$WORK/corpus-$side" --no-search >/dev/null 2>&1
  done
done
for i in $(seq "$EDITS"); do
  for side in base head; do
    article=$(find "$WORK/corpus-$side/content/articles" -name '*.md' | sort | sed -n 1p)  # (head would end find early: SIGPIPE)
    printf '\n追記 %s です。\n' "$i" >> "$article"
    sleep 1.5
    on_side $side /usr/bin/time -f "$side %e" "$PY" -m backoffice_site build --root "$WORK/corpus-$side" \
      --no-search 2>&1 >/dev/null | tail -1 | tee -a "$WORK/lines"
  done
done
"$PY" - "$WORK/lines" <<'PY'
import statistics, sys
walls = {"base": [], "head": []}
for line in open(sys.argv[1], encoding="utf-8"):
    side, wall = line.split()
    walls[side].append(float(wall))
for side, w in walls.items():
    print(f"{side}: median {statistics.median(w):.2f} s ({min(w):.2f}–{max(w):.2f}), {len(w)} edits")
print(f"head/base per round: {' '.join(f'{h / b:.2f}' for b, h in zip(walls['base'], walls['head']))}")
PY
