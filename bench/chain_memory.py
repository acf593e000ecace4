"""Differentiate the chain y = y*1.0001 + 0.0001 and print the process's peak memory.

Run by ``bench_engine.py`` in a fresh process, so the figure is this graph's alone (no torch
or micrograd imported): ``python bench/chain_memory.py OP_NODES`` prints the peak resident
set size (KiB) after building the graph and after ``backward()``, then both times (s).
"""

from __future__ import annotations

import sys
import time

from autograd_engine import Value

CHAIN_MUL, CHAIN_ADD = 1.0001, 0.0001


def peak_rss_kib() -> int:
    """The process's peak resident set size so far (VmHWM, KiB; Linux).

    Not ``getrusage``'s ``ru_maxrss``, which keeps the parent's size from before ``exec``.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(op_nodes: int) -> None:
    steps = op_nodes // 2
    t0 = time.perf_counter()
    x = Value(0.5)
    y = x
    for _ in range(steps):
        y = y * CHAIN_MUL + CHAIN_ADD
    built = time.perf_counter() - t0
    rss_graph = peak_rss_kib()
    t0 = time.perf_counter()
    y.backward()
    back = time.perf_counter() - t0
    expected = 1.0
    for _ in range(steps):  # dy/dx = 1.0001^steps, multiplied in the order backward does
        expected = expected * CHAIN_MUL
    assert x.grad == expected, (x.grad, expected)
    peak = peak_rss_kib()
    print(f"{rss_graph} {peak} {built:.1f} {back:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]))
