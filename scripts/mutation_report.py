"""Helpers of scripts/mutation.sh over a cosmic-ray session database.

    python scripts/mutation_report.py skip-annotations SESSION.sqlite SOURCE.py
    python scripts/mutation_report.py report SESSION.sqlite SOURCE.py NAME

``skip-annotations`` marks as skipped every pending mutant inside a type annotation of a
module that has ``from __future__ import annotations``: such annotations are strings that
nothing evaluates, so a mutant there is equivalent by construction (``int | None`` ->
``int + None``). ``report`` prints the figures (mutants run, killed, survived, pending) and
every survivor as ``file:line operator #occurrence: the mutated line``.
"""

from __future__ import annotations

import ast
import sqlite3
import sys
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


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "skip-annotations":
        print(f"{skip_annotations(*args)} mutants in annotations skipped")
    elif command == "report":
        report(*args)
    else:
        raise SystemExit(f"unknown command {command!r}")
