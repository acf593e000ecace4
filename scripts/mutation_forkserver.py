"""A fork server for scripts/mutation.sh: pytest, hypothesis, numpy and torch imported once.

    python scripts/mutation_forkserver.py serve SOCKET TIMEOUT   # in the background
    python scripts/mutation_forkserver.py run SOCKET PYTEST_ARGS...  # cosmic-ray's test command

A mutant's test run spent about half its time importing the libraries the tests use (torch
alone is 1.8 s of CPU, paid again by every mutant that reaches a torch comparison). The server
imports them once and forks a child per run; the child calls ``pytest.main`` in the client's
working directory and exits with its code, which the client exits with. Nothing of this
project is imported before the fork, so each child imports the mutated source fresh from disk,
as a new interpreter would. A child still running after TIMEOUT seconds is killed and its run
counts as failed (cosmic-ray's own timeout kills the client in the same case). When no server
answers, ``run`` runs pytest in a new interpreter instead, so results never depend on it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time


def serve(path: str, timeout: float) -> None:
    """Import the heavy libraries, then fork one child per request on the Unix socket."""
    import _hypothesis_pytestplugin  # noqa: F401
    import hypothesis  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401

    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    while True:
        conn, _ = server.accept()
        with conn:
            try:
                request = json.loads(conn.makefile("r").readline())
                code = _fork_and_run(request, timeout)
                conn.sendall(f"{code}\n".encode())
            except (OSError, ValueError):  # a client killed by cosmic-ray's timeout
                continue


def _fork_and_run(request: dict[str, object], timeout: float) -> int:
    pid = os.fork()
    if pid == 0:  # the child: a pytest run as `python -m pytest ARGS` in cwd would do
        code = 3
        try:
            os.chdir(str(request["cwd"]))
            os.environ.clear()
            os.environ.update(request["env"])  # type: ignore[arg-type]
            sys.path[:0] = [p for p in os.environ.get("PYTHONPATH", "").split(":") if p]
            sys.path.insert(0, os.getcwd())
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest

            code = int(pytest.main(list(request["args"])))  # type: ignore[call-overload]
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return 124


def run(path: str, args: list[str]) -> int:
    """Ask the server for a pytest run here; fall back to a new interpreter without one."""
    request = {"cwd": os.getcwd(), "env": dict(os.environ), "args": args}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(path)
            conn.sendall((json.dumps(request) + "\n").encode())
            return int(conn.makefile("r").readline())
    except (OSError, ValueError):
        return subprocess.run([sys.executable, "-m", "pytest", *args], check=False).returncode


if __name__ == "__main__":
    command, sock, *rest = sys.argv[1:]
    if command == "serve":
        serve(sock, float(rest[0]))
    elif command == "run":
        raise SystemExit(run(sock, rest))
    else:
        raise SystemExit(f"unknown command {command!r}")
