"""Atomic file writes: a reader sees the old file or the new one, never half of one.

``write_atomic`` is the one path by which the package writes a file (``save_svg``,
``Module.save``). The text goes to a hidden temporary file in the target's folder,
named ``.<name>.<pid>.<random>.tmp``, which is then renamed over the target.
"""

from __future__ import annotations

import html
import os
import secrets
import signal
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autograd_engine.validation import show

__all__ = ["write_atomic", "html_page", "STALE_AFTER"]

STALE_AFTER = 3600.0
"""Seconds after which a temporary file of a process that is still alive counts as stale."""

# Temporary files this process is writing right now (other threads' saves): never stale.
_active: set[str] = set()
_active_lock = threading.Lock()


def html_page(
    title: str, body: str, style: str = "body{margin:10px;font-family:Helvetica,Arial,sans-serif;}"
) -> str:
    """A whole offline HTML page: ``<title>`` the escaped ``title``, one ``<style>`` rule set,
    then ``body`` (the player, the replay and the race pages all start this way)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{style}</style>\n"
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def write_atomic(path: str | os.PathLike[str], text: str, *, owner: str = "write_atomic") -> Path:
    """Write ``text`` to ``path`` (UTF-8) whole or not at all, and return the path.

    The text goes to a temporary file in the same folder, is flushed and fsynced,
    and is renamed over ``path`` (``os.replace``). Permissions: the temporary file
    is created with mode 0666, which the kernel reduces by the umask, exactly as a
    plain ``open(path, "w")`` would for a new file; if ``path`` already exists it
    keeps its permission bits (a 0600 file stays 0600). The process umask is never
    changed (changing it, even briefly, would affect files other threads create).

    On any error the temporary file is removed, ``path`` is untouched, and an
    ``OSError`` names ``path`` (never the temporary file). A SIGTERM during the write
    (with Python's default handling of it, in the main thread) removes the temporary
    file first and then ends the process as SIGTERM would. A save killed outright
    (``kill -9``) cannot clean up; the next save of the same ``path`` removes such
    leftovers of its own naming: those whose process is gone, or older than
    ``STALE_AFTER`` seconds (never one that another thread is writing now).
    The folder must exist. ``owner`` starts every error message (``Module.save`` passes
    ``"save"``).
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{owner}: path must be a str or a path, got {show(path)}")
    if not isinstance(text, str):
        raise TypeError(f"{owner}: text must be a str, got {show(text)}")
    try:
        shown = os.fspath(path)
    except TypeError as error:  # an __fspath__ that returns neither str nor bytes
        raise TypeError(f"{owner}: path must be a str or a path, got {show(path)}") from error
    if not isinstance(shown, str):
        raise TypeError(f"{owner}: path must be a str or a path to a str, got {shown!r}")
    path = Path(shown)
    if not shown or path.name in ("", ".", ".."):
        raise ValueError(f"{owner}: path must name a file, got {shown!r}")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"{owner}: the text for {shown!r} is not valid UTF-8: {error}") from error
    try:
        directory = path.resolve().parent
        if path.is_dir():
            raise IsADirectoryError(21, "Is a directory", shown)
        _remove_stale(directory, path.name)
        with _terminated_cleanly():
            _write(path, directory, data)
    except OSError as error:
        raise _naming(error, shown, owner) from error
    return path


def _write(path: Path, directory: Path, data: bytes) -> None:
    tmp = directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    # O_EXCL: never follow or reuse a file someone else put there; the kernel applies
    # the umask to 0o666, which is what open(path, "w") gives a new file.
    with _active_lock:  # before it exists, so a concurrent cleanup never sees it unlisted
        _active.add(str(tmp))
    created = False
    try:
        # "x": O_CREAT | O_EXCL, mode 0o666 less the umask. The file object owns the
        # descriptor from the start, so no interrupt can leave it closed twice or not at all.
        with open(tmp, "xb") as file:
            created = True
            try:
                mode = stat.S_IMODE(os.stat(path).st_mode)
            except FileNotFoundError:
                mode = None
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(file.fileno(), mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        # The name is ours (pid and a random token) unless O_EXCL found it taken; an
        # interrupt may come just after the file is made and before ``created`` is set.
        if created or not isinstance(error, FileExistsError):
            tmp.unlink(missing_ok=True)
        raise
    finally:
        with _active_lock:
            _active.discard(str(tmp))
    _fsync_directory(directory)


class _Terminated(BaseException):
    """SIGTERM arrived during a write: unwinds it (removing the temporary file)."""


@contextmanager
def _terminated_cleanly() -> Iterator[None]:
    """While a write runs, SIGTERM unwinds it first, then ends the process as SIGTERM does.

    Only where SIGTERM has its default effect (ending the process) and only in the main
    thread (where Python runs signal handlers); a handler of the user's is left alone.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or not hasattr(signal, "SIGTERM")
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def unwind(signum: int, frame: object) -> None:
        raise _Terminated

    # The outer ``try`` covers installing and restoring the handler too: a SIGTERM that
    # lands on either call still ends the process as SIGTERM, not as an uncaught error.
    try:
        signal.signal(signal.SIGTERM, unwind)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)  # the temp file is gone: now end as asked
        raise


def _naming(error: OSError, path: str, owner: str) -> OSError:
    # The same kind of OSError (errno picks the subclass), about the path the user gave.
    if error.errno is None:
        return OSError(f"{owner}: cannot write {path!r}: {error}")
    return OSError(error.errno, f"{owner}: cannot write ({error.strerror})", path)


def _remove_stale(directory: Path, name: str) -> None:
    """Remove ``.<name>.<pid>.<hex>.tmp`` files left by saves that were killed."""
    prefix, now = f".{name}.", time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return  # the write itself will report what is wrong with the folder
    for entry in entries:
        rest = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
        parts = rest.split(".")
        if len(parts) != 3 or parts[2] != "tmp" or not parts[0].isdigit():
            continue
        if len(parts[1]) != 8 or any(c not in "0123456789abcdef" for c in parts[1]):
            continue
        with _active_lock:
            if entry.path in _active:  # the same string as str(directory / entry.name)
                continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if _alive(int(parts[0])) and now - info.st_mtime < STALE_AFTER:
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            pass  # another save removed it first, or we may not: not this save's problem


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own live saves are all in _active: any other file is a leftover
    if os.name == "nt":
        return True  # os.kill(pid, 0) would terminate the process there: go by age only
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists but belongs to someone else, or cannot tell: keep it
    return True


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; not possible (nor needed) everywhere.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
