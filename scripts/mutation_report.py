"""Helpers of scripts/mutation.sh over a cosmic-ray session database.

    python scripts/mutation_report.py skip-annotations SESSION.sqlite SOURCE.py
    python scripts/mutation_report.py report SESSION.sqlite SOURCE.py NAME
    python scripts/mutation_report.py retry SESSION.sqlite TEST_FILE [TEST_FILE ...]

``skip-annotations`` marks as skipped every pending mutant inside a type annotation of a
module that has ``from __future__ import annotations``: such annotations are strings that
nothing evaluates, so a mutant there is equivalent by construction (``int | None`` ->
``int + None``). ``report`` prints the figures (mutants run, killed, survived, pending) and
every survivor as ``file:line operator #occurrence: the mutated line``. ``retry`` plants
each survivor of a session, one at a time, in a copy of the current working tree (so with
the tests written since the run) and runs the given test files against it: it says which
survivors the new tests kill, while a run goes on. The mutated file must not have changed
since the run where the mutant is: a mutant whose hunk (the line and three either side)
is no longer found exactly once is reported as moved, not planted.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) positions, as (row, col) with 1-based rows, of every annotation."""
    tree = ast.parse(source)
    future = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    if not future:
        return []
    spans = []
    for node in ast.walk(tree):
        found: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            found.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
        for ann in found:
            if ann is not None and ann.end_lineno is not None and ann.end_col_offset is not None:
                spans.append(((ann.lineno, ann.col_offset), (ann.end_lineno, ann.end_col_offset)))
    return spans


def _inside(pos: tuple[int, int], spans: list[tuple[tuple[int, int], tuple[int, int]]]) -> bool:
    return any(start <= pos < end for start, end in spans)


def skip_annotations(db: str, src: str) -> int:
    """Mark pending mutants inside annotations as skipped; return how many."""
    spans = annotation_spans(Path(src).read_text(encoding="utf-8"))
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT m.job_id, m.start_pos_row, m.start_pos_col FROM mutation_specs m "
        "LEFT JOIN work_results r ON r.job_id = m.job_id WHERE r.job_id IS NULL"
    ).fetchall()
    skipped = [job for job, row, col in rows if _inside((row, col), spans)]
    con.executemany(
        "INSERT INTO work_results (worker_outcome, output, test_outcome, diff, job_id) "
        "VALUES ('SKIPPED', 'in an annotation (never evaluated)', NULL, NULL, ?)",
        [(job,) for job in skipped],
    )
    con.commit()
    return len(skipped)


def report(db: str, src: str, name: str) -> None:
    """Print the figures and every survivor (annotation mutants count as equivalent)."""
    source = Path(src).read_text(encoding="utf-8")
    lines = source.splitlines()
    spans = annotation_spans(source)
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT m.operator_name, m.occurrence, m.start_pos_row, m.start_pos_col, "
        "r.worker_outcome, r.test_outcome, r.diff FROM mutation_specs m "
        "LEFT JOIN work_results r ON r.job_id = m.job_id"
    ).fetchall()
    pending = [r for r in rows if r[4] is None]
    ran = [r for r in rows if r[4] is not None and r[4] != "SKIPPED"]
    annotation = [r for r in ran if _inside((r[2], r[3]), spans)]
    ran = [r for r in ran if not _inside((r[2], r[3]), spans)]
    survived = [r for r in ran if (r[5] or "").upper() == "SURVIVED"]
    killed = len(ran) - len(survived)
    pct = 100.0 * killed / len(ran) if ran else 0.0
    print(
        f"{name}: {len(ran)} mutants run, {killed} killed ({pct:.1f}%), {len(survived)} survived, "
        f"{len(pending)} pending ({len(rows)} generated; the rest filtered out"
        f"{f', {len(annotation)} run in annotations' if annotation else ''})"
    )
    for op, occ, row, _col, _w, _t, diff in sorted(survived, key=lambda r: (r[2], r[3], r[0])):
        new = [
            d[1:].strip() for d in (diff or "").splitlines() if d.startswith("+") and d[1:2] != "+"
        ]
        mutated = new[0] if new else "?"
        print(
            f"  {src.split('/tree/')[-1]}:{row} {op.split('/')[-1]} #{occ}: "
            f"{lines[row - 1].strip()}  ->  {mutated}"
        )


def _plant(tree: Path, diff: str) -> tuple[Path, str] | None:
    """Apply a one-hunk mutation diff under tree; return (file, original text) or None."""
    lines = diff.splitlines()
    name = next(d[6:] for d in lines if d.startswith("+++ b/"))
    at = next(i for i, d in enumerate(lines) if d.startswith("@@"))
    start = int(re.match(r"@@ -(\d+)", lines[at]).group(1))  # type: ignore[union-attr]
    old = [d[1:] for d in lines[at + 1 :] if d[:1] in (" ", "-")]
    new = [d[1:] for d in lines[at + 1 :] if d[:1] in (" ", "+")]
    path = tree / name
    text = path.read_text(encoding="utf-8")
    body = text.split("\n")  # a last "" line: a hunk may reach past the final newline
    at = start - 1
    if body[at : at + len(old)] != old:  # lines moved since the run: the hunk, if unique
        found = [i for i in range(len(body)) if body[i : i + len(old)] == old]
        if len(found) != 1:
            return None
        at = found[0]
    body[at : at + len(old)] = new
    path.write_text("\n".join(body), encoding="utf-8")
    return path, text


def retry(db: str, *tests: str) -> None:
    """Plant every survivor of db in a copy of the working tree and run the tests on it."""
    root = Path.cwd()
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout.splitlines()
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT m.start_pos_row, m.operator_name, m.occurrence, r.diff FROM mutation_specs m "
        "JOIN work_results r ON r.job_id = m.job_id WHERE upper(r.test_outcome) = 'SURVIVED' "
        "ORDER BY m.start_pos_row"
    ).fetchall()
    killed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        for f in files:
            if f.startswith("out/") or not (root / f).is_file():
                continue
            (tree / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / f, tree / f)
        for row, op, occ, diff in rows:
            planted = _plant(tree, diff)
            label = f"line {row} {op.split('/')[-1]} #{occ}"
            if planted is None:
                print(f"moved    {label}: the source changed since the run")
                continue
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                cwd=tree,
                capture_output=True,
                text=True,
                timeout=600,
                env={**os.environ, "PYTHONPATH": str(tree)},
            )
            planted[0].write_text(planted[1], encoding="utf-8")
            outcome = "killed" if run.returncode != 0 else "survived"
            killed += run.returncode != 0
            new = [d[1:].strip() for d in diff.splitlines() if d.startswith("+") and d[1:2] != "+"]
            print(f"{outcome:8} {label}: {new[0] if new else '?'}", flush=True)
    print(f"{killed} of {len(rows)} survivors killed")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "skip-annotations":
        print(f"{skip_annotations(*args)} mutants in annotations skipped")
    elif command == "report":
        report(*args)
    elif command == "retry":
        retry(*args)
    else:
        raise SystemExit(f"unknown command {command!r}")
