"""Which program lays out the drawings: Graphviz's ``dot``, or the bundled ``graphviz-pure``.

Drawings are ``graphviz.Digraph`` objects, and the ``graphviz`` package renders them
by running a program called ``dot`` found on PATH. That program comes from a system
package (apt, brew, conda, winget), which many learners cannot install. The
``graphviz-pure`` wheel (``pip install "autograd-engine[layout]"``) holds a port of
Graphviz's ``dot`` as one self-contained program named ``graphviz-pure``, with the
same command line. ``find_dot()`` picks the program:

1. Graphviz's ``dot``, if it is on PATH (always preferred when present);
2. else the ``graphviz-pure`` program of the installed ``graphviz-pure`` distribution
   (found through its package metadata, so it works even when the environment's
   ``bin``/``Scripts`` folder is not on PATH, as in many Jupyter kernels), or a
   ``graphviz-pure`` on PATH (e.g. installed with pipx);
3. else none: rendering raises the install hint.

The environment variable ``AUTOGRAD_ENGINE_LAYOUT`` overrides the choice:
``auto`` (the default, the order above), ``dot`` (only Graphviz's ``dot``; never the
fallback) or ``graphviz-pure`` (always the port, even when ``dot`` exists: the same
output on every machine).
"""

from __future__ import annotations

import os
import shutil
import sysconfig
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from graphviz.backend import dot_command

__all__ = [
    "Engine",
    "find_dot",
    "graphviz_pure_path",
    "use_engine",
    "ENV_VAR",
    "CHOICES",
    "FALLBACK",
]

ENV_VAR = "AUTOGRAD_ENGINE_LAYOUT"
"""The environment variable that overrides the choice of layout program."""

CHOICES = ("auto", "dot", "graphviz-pure")
"""The values ``AUTOGRAD_ENGINE_LAYOUT`` accepts (unset or empty means ``auto``)."""

FALLBACK = "graphviz-pure"
"""The PyPI distribution, and the program it installs, used when ``dot`` is missing."""

# graphviz's own default: the program is looked up by name on PATH when it runs.
_DEFAULT_DOT_BINARY = Path("dot")


@dataclass(frozen=True)
class Engine:
    """A layout program: ``name`` is ``"dot"`` or ``"graphviz-pure"``, ``path`` its full path."""

    name: str
    path: str


# (choice, PATH) -> Engine. Only programs that were found are cached, and a cached one
# is used only while its file is still there, so installing graphviz-pure (or Graphviz)
# in a running kernel, or changing PATH, takes effect at the next drawing.
_cache: dict[tuple[str, str], Engine] = {}
# Serialises the swap of graphviz's module-level DOT_BINARY (see ``use_engine``).
_swap_lock = threading.RLock()


def find_dot() -> Engine | None:
    """The program drawings are rendered with: ``dot`` on PATH, else ``graphviz-pure``, else None.

    ``AUTOGRAD_ENGINE_LAYOUT`` (``auto``, ``dot``, ``graphviz-pure``) overrides the order;
    any other value is a ``ValueError``. Cached per PATH and choice; re-checked when
    PATH changes or the cached program disappears.
    """
    choice = _choice()
    path_env = os.environ.get("PATH", os.defpath)
    key = (choice, path_env)
    engine = _cache.get(key)
    if engine is not None and os.access(engine.path, os.X_OK):
        return engine
    engine = _search(choice, path_env)
    if engine is None:
        _cache.pop(key, None)
    else:
        _cache[key] = engine
    return engine


@contextmanager
def use_engine() -> Iterator[Engine | None]:
    """Within the block, the ``graphviz`` package renders with the program ``find_dot()`` picks.

    Yields that engine (None when there is none: graphviz then raises its
    ``ExecutableNotFound`` as before). When it is ``graphviz-pure``, graphviz's
    module-level ``DOT_BINARY`` points at it for the duration of the block and is
    restored afterwards, under a lock. A ``DOT_BINARY`` the user set themselves is
    left alone. With ``AUTOGRAD_ENGINE_LAYOUT=graphviz-pure`` and the port not
    installed, raises ``RuntimeError`` saying how to install it.
    """
    engine = find_dot()
    if engine is None and _choice() == FALLBACK:
        raise RuntimeError(
            f"{ENV_VAR}={FALLBACK} asks for the {FALLBACK} layout program, but it is not "
            f'installed: pip install "autograd-engine[layout]" (or unset {ENV_VAR})'
        )
    if engine is None or engine.name == "dot":
        # System dot (or nothing): graphviz's usual lookup by name on PATH.
        yield engine
        return
    with _swap_lock:
        saved = dot_command.DOT_BINARY
        if saved != _DEFAULT_DOT_BINARY:  # the user pointed graphviz at a program: keep it
            yield engine
            return
        # graphviz reads DOT_BINARY each time it builds a command line; there is no
        # per-call way to pass the program. Any other thread rendering meanwhile would
        # otherwise fail to find `dot`, so lending it the port harms nothing.
        dot_command.DOT_BINARY = Path(engine.path)
        try:
            yield engine
        finally:
            dot_command.DOT_BINARY = saved


def graphviz_pure_path() -> str | None:
    """The full path of the installed ``graphviz-pure`` program, or None.

    Looks in the files of the installed distribution (its wheel puts the program in
    the environment's scripts folder), then in this interpreter's scripts folder,
    then on PATH.
    """
    names = {FALLBACK, FALLBACK + ".exe"}
    try:
        dist = metadata.distribution(FALLBACK)
    except metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for file in dist.files or ():
            if file.name in names:
                found = _executable(Path(str(dist.locate_file(file))))
                if found:
                    return found
    scripts = sysconfig.get_path("scripts")
    for name in sorted(names):
        found = _executable(Path(scripts) / name) if scripts else None
        if found:
            return found
    return shutil.which(FALLBACK)


# -- internals ----------------------------------------------------------------


def _choice() -> str:
    choice = os.environ.get(ENV_VAR, "").strip() or "auto"
    if choice not in CHOICES:
        raise ValueError(
            f"autograd_engine.pictures.layout: {ENV_VAR} must be one of {CHOICES}, got {choice!r}"
        )
    return choice


def _search(choice: str, path_env: str) -> Engine | None:
    if choice != FALLBACK:
        dot = shutil.which("dot", path=path_env)
        if dot is not None:
            return Engine("dot", os.path.abspath(dot))
        if choice == "dot":
            return None
    pure = graphviz_pure_path()
    return None if pure is None else Engine(FALLBACK, pure)


def _executable(path: Path) -> str | None:
    path = path.resolve()
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None
