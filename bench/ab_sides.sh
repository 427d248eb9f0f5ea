# Sourced by bench/cold_ab.sh and bench/edit_ab.sh: two sides to compare, set up alike. Expects BASE (a
# commit) and SIZE (a bench corpus size); sets PY, WORK (removed on exit, with the base's worktree) and
# WORK/corpus-base, WORK/corpus-head (each side's corpus, with its own templates and static files).
# `side_src SIDE` is the side's engine; `on_side SIDE CMD…` runs CMD with that engine and the side's own
# bytecode folder: modules are compiled once per side, as an installed package is (a machine that sets
# PYTHONDONTWRITEBYTECODE would otherwise compile, on every run, the modules of a checkout whose
# __pycache__ is stale: 0.1–0.2 s).
PY=$PWD/.venv/bin/python
WORK=$(mktemp -d)
trap 'git worktree remove --force "$WORK/base" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
unset PYTHONDONTWRITEBYTECODE

git worktree add -q --detach "$WORK/base" "$BASE"
(cd "$WORK/base" && "$PY" bench/gen_corpus.py "$SIZE" "$WORK/corpus-base" >/dev/null)
"$PY" bench/gen_corpus.py "$SIZE" "$WORK/corpus-head" >/dev/null

side_src() { if [ "$1" = base ]; then echo "$WORK/base/src"; else echo "$PWD/src"; fi; }
on_side() {
  local side=$1
  shift
  PYTHONPYCACHEPREFIX=$WORK/pyc-$side PYTHONPATH=$(side_src "$side") "$@"
}
