#!/usr/bin/env bash
# Mutation testing (cosmic-ray) over the engine and nn: not part of CI, it is slow.
#
#   scripts/mutation.sh                 every target below, in this order
#   scripts/mutation.sh ops optim       only these targets (names from the table)
#   RESUME=1 scripts/mutation.sh ops    go on with the pending mutants of a stopped run
#   scripts/mutation.sh --survivors ops run the last run's survivors again (after new tests)
#   scripts/mutation.sh --report ops    print the figures and survivors of the last run
#
# Each mutant is one single-point change to one source file; the target's fast test files
# (never the notebook, install, browser or README tests) run against it, and a mutant is
# killed when they fail or time out. The source is mutated in a copy of the working tree
# ($MUTATION_DIR/tree, refreshed on each run), so the work tree is never touched and
# an interrupted run leaves nothing behind. Results: $MUTATION_DIR/<target>.sqlite, and a
# summary with every survivor (line, operator, the source line) in $MUTATION_DIR/<target>.txt.
# One worker, under nice -n 19: the machine is shared. The tests run through a fork server
# (scripts/mutation_forkserver.py) that has pytest, hypothesis, numpy and torch imported once:
# about 40% less time a mutant, the same outcomes. Figures and equivalents: docs/mutation.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
BIN="$(dirname "$PY")"
MUTATION_DIR="${MUTATION_DIR:-$ROOT/out/mutation}"
TIMEOUT="${MUTATION_TIMEOUT:-300}"

# target | source file | the test files that exercise it (graph and optim: the fast ones; their
# survivors are then planted against the slow ones too with `scripts/mutation_report.py retry`:
# graph's against test_forward, test_ops, test_properties, test_crosscheck and test_gradcheck,
# optim's against test_schedules and test_pickle; the full list made graph 50 s a mutant)
TARGETS="
ops|autograd_engine/core/ops.py|test_ops test_op_table test_value test_hostile test_errors test_properties test_pickle test_gradcheck
graph|autograd_engine/core/graph.py|test_graph test_value test_reference test_boundaries test_errors test_hostile test_storage
forward|autograd_engine/core/forward.py|test_forward test_crosscheck test_errors test_hostile
derivatives|autograd_engine/core/derivatives.py|test_graph test_forward test_value test_errors test_hostile
gradcheck|autograd_engine/checking/gradient_check.py|test_gradcheck test_ops test_errors test_hostile
optim|nn/optim.py|test_optim test_load test_errors test_hostile
schedules|nn/schedules.py|test_schedules test_pickle test_errors test_hostile test_boundaries
losses|nn/losses.py|test_losses test_errors test_hostile test_generalization test_boundaries test_compiler
train|nn/train.py|test_train test_errors test_hostile
module|nn/module.py|test_nn test_load test_storage test_files test_pickle test_errors test_hostile test_generalization test_boundaries
files|autograd_engine/files.py|test_files test_load test_storage test_errors test_hostile
"

# Operators left out: a float operand makes `|`, `&`, `^`, `<<`, `>>` raise TypeError, so
# such a mutant only says whether its line runs (the other mutants of the same site say it
# too); `//` and `%` are left out with them to keep a full run within hours.
EXCLUDE='"core/ReplaceBinaryOperator_.*_(BitOr|BitAnd|BitXor|LShift|RShift|FloorDiv|Mod)$"'

report=0
survivors=0
if [ "${1:-}" = "--report" ]; then report=1; shift; fi
if [ "${1:-}" = "--survivors" ]; then survivors=1; RESUME=1; shift; fi
wanted="${*:-ops graph forward derivatives gradcheck optim schedules losses train module files}"

mkdir -p "$MUTATION_DIR"
SOCK="$MUTATION_DIR/forkserver.sock"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; true' EXIT

summarize() {  # $1 target, $2 source file: figures and survivors from the session db
    "$PY" "$ROOT/scripts/mutation_report.py" report "$MUTATION_DIR/$1.sqlite" \
        "$MUTATION_DIR/tree/$2" "$1"
}

for name in $wanted; do
    row="$(printf '%s\n' "$TARGETS" | grep "^$name|")" || { echo "unknown target: $name" >&2; exit 2; }
    src="$(echo "$row" | cut -d'|' -f2)"
    tests="$(echo "$row" | cut -d'|' -f3)"
    db="$MUTATION_DIR/$name.sqlite"
    if [ "$report" = 1 ]; then
        if [ -f "$db" ]; then summarize "$name" "$src"; else echo "$name: not run yet"; fi
        continue
    fi
    # A fresh copy of the working tree (tracked and new files; no caches, no .git).
    rm -rf "$MUTATION_DIR/tree" && mkdir -p "$MUTATION_DIR/tree"
    (cd "$ROOT" && git ls-files -co --exclude-standard -z | grep -zv '^out/' \
        | xargs -0 tar cf - --ignore-failed-read 2>/dev/null) | tar xf - -C "$MUTATION_DIR/tree"
    if [ "${RESUME:-0}" != 1 ]; then rm -f "$db"; fi
    if [ "$survivors" = 1 ] && [ -f "$db" ]; then
        "$PY" -c 'import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("DELETE FROM work_results WHERE lower(test_outcome) = \"survived\"")
con.commit()' "$db"
        "$PY" "$ROOT/scripts/mutation_report.py" skip-annotations "$db" "$MUTATION_DIR/tree/$src"
    fi
    testpaths=""
    for t in $tests; do testpaths="$testpaths tests/$t.py"; done
    cfg="$MUTATION_DIR/$name.toml"
    cat > "$cfg" <<EOF
[cosmic-ray]
module-path = "$src"
timeout = $TIMEOUT
excluded-modules = []
test-command = "env PYTHONPATH=. $PY $ROOT/scripts/mutation_forkserver.py run $SOCK -x -q -p no:cacheprovider$testpaths"

[cosmic-ray.distributor]
name = "local"

[cosmic-ray.filters.operators-filter]
exclude-operators = [$EXCLUDE]
EOF
    cd "$MUTATION_DIR/tree"
    if [ -z "$server" ]; then
        nice -n 19 "$PY" "$ROOT/scripts/mutation_forkserver.py" serve "$SOCK" "$TIMEOUT" &
        server=$!
        for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.2; done
    fi
    start=$(date +%s)
    if [ ! -f "$db" ]; then
        nice -n 19 "$BIN/cosmic-ray" init "$cfg" "$db"
        "$BIN/cr-filter-operators" "$db" "$cfg"
        "$PY" "$ROOT/scripts/mutation_report.py" skip-annotations "$db" "$src"
        nice -n 19 "$BIN/cosmic-ray" baseline "$cfg" \
            || { echo "$name: the tests fail on the unmutated source" >&2; exit 1; }
    fi
    nice -n 19 "$BIN/cosmic-ray" exec "$cfg" "$db"
    echo "$name: $(( $(date +%s) - start )) s" | tee -a "$MUTATION_DIR/times.txt"
    summarize "$name" "$src" | tee "$MUTATION_DIR/$name.txt"
    cd "$ROOT"
done
