"""write_atomic: whole or nothing, the permissions a plain open() would give, no leftovers."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

import autograd_engine.files as files
from autograd_engine.files import write_atomic


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _umask_from_proc():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return None


def test_written_file_has_umask_permissions(tmp_path):
    """Under umask 022 a new file is 0644 (mkstemp alone would leave 0600)."""
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "a.txt", "hello")
    finally:
        os.umask(old)
    assert path.read_text() == "hello"
    assert _mode(path) == 0o644


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o755])
def test_saving_over_a_file_keeps_its_mode(tmp_path, mode):
    """An existing 0600 file stays 0600 (and so on for other modes) after a save over it."""
    path = tmp_path / "secret.json"
    path.write_text("old")
    os.chmod(path, mode)
    write_atomic(path, "new")
    assert path.read_text() == "new"
    assert _mode(path) == mode


def test_the_umask_is_never_changed(tmp_path, monkeypatch):
    """write_atomic never calls os.umask: other threads' files keep their permissions."""

    def forbidden(mask):
        raise AssertionError("os.umask was called")

    monkeypatch.setattr(os, "umask", forbidden)
    path = write_atomic(tmp_path / "a.txt", "x")
    mask = _umask_from_proc()
    if mask is not None:
        assert _mode(path) == 0o666 & ~mask


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    """If the rename fails, the old content stays and no temporary file is left behind."""
    path = tmp_path / "a.txt"
    path.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_failing_save_names_the_users_path_not_the_temp_file(tmp_path):
    """Saving into a missing folder or over a folder names the path given, never '.tmp'."""
    missing = tmp_path / "no" / "such" / "m.json"
    with pytest.raises(FileNotFoundError) as info:
        write_atomic(missing, "x")
    assert str(missing) in str(info.value) and ".tmp" not in str(info.value)
    assert info.value.filename == str(missing)
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        write_atomic(folder, "x")
    assert str(folder) in str(info.value) and ".tmp" not in str(info.value)


def test_an_unwritable_folder_names_the_path(tmp_path):
    """A folder without write permission gives PermissionError naming the target."""
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere")
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        with pytest.raises(PermissionError) as info:
            write_atomic(folder / "m.json", "x")
        assert str(folder / "m.json") in str(info.value)
    finally:
        os.chmod(folder, 0o700)


@pytest.mark.parametrize("bad", [None, 5, b"bytes", ["a"]])
def test_bad_arguments_are_type_errors(tmp_path, bad):
    """path must be a str or PathLike and text a str, else a TypeError naming write_atomic."""
    with pytest.raises(TypeError, match="write_atomic: path"):
        write_atomic(bad, "x")
    with pytest.raises(TypeError, match="write_atomic: text"):
        write_atomic(tmp_path / "a.txt", bad)
    assert list(tmp_path.iterdir()) == []


class _FsPath:
    def __init__(self, value):
        self.value = value

    def __fspath__(self):
        return self.value


@pytest.mark.parametrize(
    ("value", "match"),
    [(b"a.txt", "a str or a path to a str, got b'a.txt'"), (5, "a str or a path, got ")],
)
def test_a_path_whose_fspath_is_not_a_str_is_a_type_error_naming_write_atomic(
    tmp_path, monkeypatch, value, match
):
    """An os.PathLike whose __fspath__ gives bytes (or not even bytes) is refused by
    write_atomic's own message, not pathlib's, and nothing is written."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=f"^write_atomic: path must be {match}"):
        write_atomic(_FsPath(value), "x")
    assert list(tmp_path.iterdir()) == []


def test_text_that_is_not_utf8_changes_nothing(tmp_path):
    """A lone surrogate cannot be encoded: ValueError naming the path, the old file kept."""
    path = tmp_path / "a.txt"
    path.write_text("old")
    with pytest.raises(ValueError, match="a.txt"):
        write_atomic(path, "bad \udc80")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


_SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


@pytest.fixture
def live_pid():
    """The pid of a process of ours that lives for the test (never our parent: a bug that
    signalled the pid it asks about would hit this sleeper, not the test runner)."""
    sleeper = subprocess.Popen(_SLEEPER)
    yield sleeper.pid
    assert sleeper.poll() is None, "the live process got a signal"
    sleeper.kill()
    sleeper.wait()


def _listing_last(monkeypatch, *names):
    """Make os.scandir list ``names`` after every other entry (in this order): a cleanup
    that stopped at the first entry it skips, instead of going on, would leave them."""
    real = os.scandir

    def scandir(where):
        entries = list(real(where))
        return iter(
            sorted(entries, key=lambda e: names.index(e.name) + 1 if e.name in names else 0)
        )

    monkeypatch.setattr(os, "scandir", scandir)


def test_stale_temp_files_of_dead_saves_are_removed(tmp_path):
    """Leftovers of a killed save (dead pid) are removed by the next save of the same target."""
    path = tmp_path / "m.json"
    dead = _dead_pid()
    stale = tmp_path / f".m.json.{dead}.0123abcd.tmp"
    stale.write_text("half a model")
    own_leftover = tmp_path / f".m.json.{os.getpid()}.deadbeef.tmp"
    own_leftover.write_text("from an earlier process with our pid")
    other_target = tmp_path / f".other.json.{dead}.0123abcd.tmp"
    other_target.write_text("not ours to remove")
    user_file = tmp_path / ".m.json.notes.tmp"
    user_file.write_text("not of our naming")
    write_atomic(path, "new")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["m.json", other_target.name, user_file.name])


def test_temp_files_of_live_processes_are_kept_until_old(tmp_path, monkeypatch, live_pid):
    """A temp file of a live process is kept, unless older than STALE_AFTER (listed after
    the fresh one, which does not stop the cleanup)."""
    path = tmp_path / "m.json"
    alive = live_pid
    fresh = tmp_path / f".m.json.{alive}.00000001.tmp"
    fresh.write_text("a save in progress elsewhere")
    old = tmp_path / f".m.json.{alive}.00000002.tmp"
    old.write_text("abandoned")
    past = time.time() - files.STALE_AFTER - 60
    os.utime(old, (past, past))
    _listing_last(monkeypatch, old.name)
    write_atomic(path, "new")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["m.json", fresh.name])


def test_a_killed_save_leaves_a_temp_file_that_the_next_save_removes(tmp_path):
    """kill -9 during a save: the target is old or new, never torn; the next save cleans up."""
    path = tmp_path / "m.json"
    write_atomic(path, "old")
    script = (
        "import os, sys\n"
        "import autograd_engine.files as f\n"
        "def stop(fd): os.kill(os.getpid(), 9)\n"
        "os.fsync = stop\n"
        f"f.write_atomic({str(path)!r}, 'x' * 100000)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), check=False)
    assert proc.returncode == -9
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "m.json"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".m.json.")
    assert path.read_text() == "old"
    write_atomic(path, "new")
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_concurrent_saves_do_not_remove_each_others_temp_files(tmp_path):
    """Many threads saving the same target all succeed; the file ends whole, no temp left."""
    path = tmp_path / "m.json"
    errors = []

    def save(k):
        try:
            for _ in range(20):
                write_atomic(path, str(k) * 1000)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    text = path.read_text()
    assert len(text) == 1000 and len(set(text)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_save_svg_keeps_a_private_files_mode(tmp_path):
    """save_svg goes through write_atomic: a 0600 SVG stays 0600 and parses as XML."""
    import xml.etree.ElementTree as ET

    from autograd_engine import Value, draw_dot, save_svg

    path = tmp_path / "g.svg"
    path.write_text("old")
    os.chmod(path, 0o600)
    x = Value(1.0, label="x")
    save_svg(draw_dot(x * 2), path)
    assert _mode(path) == 0o600
    ET.parse(path)
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


def test_only_files_of_the_exact_temp_naming_are_removed(tmp_path, monkeypatch):
    """.<name>.<pid>.<8 hex>.tmp of a dead pid goes; every near miss of that naming stays
    (listed before it: skipping one does not stop the cleanup)."""
    path = tmp_path / "m.json"
    dead = _dead_pid()
    ours = tmp_path / f".m.json.{dead}.0123abcd.tmp"
    near_misses = [
        f".m.json.{dead}.0123abcd.tmp.bak",  # four parts
        f".m.json.{dead}.0123abcd",  # two parts
        f".m.json.{dead}.0123abcd.txt",  # not .tmp (sorts after it)
        f".m.json.{dead}.0123abcd.bak",  # not .tmp (sorts before it)
        f".m.json.{dead}x.0123abcd.tmp",  # the pid is not a number
        f".m.json.{dead}.0123abc.tmp",  # 7 hex digits
        f".m.json.{dead}.0123abcde.tmp",  # 9 hex digits
        f".m.json.{dead}.0123abcg.tmp",  # not hex
        f".m.json.{dead}.0123ABCD.tmp",  # token_hex writes lower case
        f"m.json.{dead}.0123abcd.tmp",  # no leading dot
        f".n.json.{dead}.0123abcd.tmp",  # another target
    ]
    for name in [ours.name, *near_misses]:
        (tmp_path / name).write_text("x")
    folder = tmp_path / f".m.json.{dead}.89abcdef.tmp"
    folder.mkdir()  # named like ours, but a folder
    link = tmp_path / f".m.json.{dead}.456789ab.tmp"
    link.symlink_to(tmp_path / near_misses[0])  # named like ours, but a link to a user file
    _listing_last(monkeypatch, ours.name)
    write_atomic(path, "new")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["m.json", folder.name, link.name, *near_misses])


@pytest.mark.parametrize(("seconds", "removed"), [(-1.0, False), (0.0, True), (1.0, True)])
def test_a_live_process_temp_file_is_stale_from_stale_after_seconds_on(
    tmp_path, monkeypatch, seconds, removed, live_pid
):
    """With the clock fixed, a live process's temp file goes once its age reaches STALE_AFTER."""
    age = files.STALE_AFTER + seconds
    now = 2_000_000_000.0
    monkeypatch.setattr(files.time, "time", lambda: now)
    leftover = tmp_path / f".m.json.{live_pid}.00000001.tmp"
    leftover.write_text("a save in progress elsewhere")
    os.utime(leftover, (now - age, now - age))
    write_atomic(tmp_path / "m.json", "new")
    assert leftover.exists() is not removed


def test_a_temp_name_taken_meanwhile_is_an_error_that_leaves_the_other_file(tmp_path, monkeypatch):
    """If someone creates the temporary file's name between the choice and the O_EXCL open,
    the save fails with FileExistsError naming the target, and their file stays as it was."""
    path = tmp_path / "m.json"
    path.write_text("old")
    taken = tmp_path / f".m.json.{os.getpid()}.0123abcd.tmp"

    def token_hex(n):
        taken.write_text("someone else's")  # after the cleanup of leftovers, before open
        return "0123abcd"

    monkeypatch.setattr(files.secrets, "token_hex", token_hex)
    with pytest.raises(FileExistsError) as info:
        write_atomic(path, "new")
    assert info.value.filename == str(path)
    assert taken.read_text() == "someone else's"
    assert path.read_text() == "old"


def test_a_file_exists_error_after_the_temp_file_is_made_removes_it(tmp_path, monkeypatch):
    """A FileExistsError from the rename (the temp file is ours by then) still removes it."""
    path = tmp_path / "m.json"
    path.write_text("old")

    def replace(src, dst):
        raise FileExistsError(errno.EEXIST, "File exists", str(dst))

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(FileExistsError) as info:
        write_atomic(path, "new")
    assert info.value.filename == str(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert path.read_text() == "old"


_SIGTERM_SAVE = """
import os, signal, sys
import autograd_engine.files as f
path, handling = sys.argv[1], sys.argv[2]
seen = []
if handling == "own":
    signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
elif handling == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
before = signal.getsignal(signal.SIGTERM)
real_fsync = os.fsync
sent = []
def fsync(fd):
    if not sent:  # the file's fsync, in the middle of the write (not the folder's)
        sent.append(True)
        os.kill(os.getpid(), signal.SIGTERM)
    real_fsync(fd)
os.fsync = fsync
f.write_atomic(path, "new")
print(seen, signal.getsignal(signal.SIGTERM) is before, flush=True)
"""


def _save_with_sigterm(tmp_path, handling):
    path = tmp_path / "m.json"
    path.write_text("old")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.run(
        [sys.executable, "-c", _SIGTERM_SAVE, str(path), handling],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return path, proc


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_sigterm_in_the_middle_of_a_save_removes_the_temp_file_then_ends_the_process(tmp_path):
    """With SIGTERM's default handling: the process still ends by SIGTERM (not by an
    exception), the target keeps its old text and no temporary file is left."""
    path, proc = _save_with_sigterm(tmp_path, "default")
    assert proc.returncode == -signal.SIGTERM, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert path.read_text() == "old"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
@pytest.mark.parametrize(
    ("handling", "seen"), [("own", f"[{int(signal.SIGTERM)}]"), ("ignore", "[]")]
)
def test_a_sigterm_handler_of_the_users_is_left_alone(tmp_path, handling, seen):
    """A handler of the user's (or SIG_IGN) stays installed and gets the signal; the save ends."""
    path, proc = _save_with_sigterm(tmp_path, handling)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{seen} True\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert path.read_text() == "new"


_SAVER = """
import sys
from autograd_engine.files import write_atomic
sys.stdin.readline()
write_atomic(sys.argv[1], "new")
"""


def test_a_live_process_is_one_whatever_its_pid(tmp_path):
    """A save's cleanup keeps the fresh temp files of live processes whose pid is below its
    own and above it (three processes started in turn: a sleeper, the saver, a sleeper; again
    if the pids wrapped around), and sends them no signal in asking whether they live."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    for _ in range(10):
        below = subprocess.Popen(_SLEEPER)
        saver = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(tmp_path / "m.json")],
            stdin=subprocess.PIPE,
            env=env,
            text=True,
        )
        above = subprocess.Popen(_SLEEPER)
        if below.pid < saver.pid < above.pid:
            break
        for proc in (below, saver, above):  # pragma: no cover - the pids wrapped around
            proc.kill()
            proc.wait()
    try:
        names = [f".m.json.{below.pid}.00000001.tmp", f".m.json.{above.pid}.00000002.tmp"]
        for name in names:
            (tmp_path / name).write_text("a save in progress elsewhere")
        saver.communicate("go\n", timeout=60)
        assert saver.returncode == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.json", *names])
        assert below.poll() is None and above.poll() is None
    finally:
        for proc in (below, saver, above):
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("problem", ["too large", "not permitted"])
def test_a_pid_that_cannot_be_asked_about_counts_as_alive(tmp_path, monkeypatch, problem):
    """A pid too large for the system (OverflowError), or a process of another user
    (PermissionError): its fresh temp file is kept, and removed once STALE_AFTER old."""
    if problem == "too large":
        pid = "9" * 30
    else:
        pid = str(os.getpid() + 1)

        def kill(p, sig):
            raise PermissionError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "kill", kill)
    fresh = tmp_path / f".m.json.{pid}.00000001.tmp"
    old = tmp_path / f".m.json.{pid}.00000002.tmp"
    for leftover in (fresh, old):
        leftover.write_text("x")
    past = time.time() - files.STALE_AFTER - 60
    os.utime(old, (past, past))
    write_atomic(tmp_path / "m.json", "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.json", fresh.name])


def test_a_folder_that_cannot_be_listed_or_fsynced_is_still_written(tmp_path, monkeypatch):
    """Listing the folder (to clean up) and opening or fsyncing it (to make the rename
    durable) are best effort: if they fail the save still succeeds."""
    path = tmp_path / "m.json"
    folder = str(tmp_path)

    def scandir(where):
        raise PermissionError(errno.EACCES, "Permission denied", str(where))

    real_open = os.open

    def open_(where, flags, *args, **kwargs):
        if os.fspath(where) == folder:
            raise PermissionError(errno.EACCES, "Permission denied", folder)
        return real_open(where, flags, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", open_)
    assert write_atomic(path, "one") == path
    assert path.read_text() == "one"
    monkeypatch.undo()

    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomic(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_a_leftover_that_another_save_removes_first_is_no_error(tmp_path, monkeypatch):
    """Two saves cleaning the same folder race: a leftover gone before we look at it
    (stat) or before we remove it (unlink) is simply skipped, and the cleanup goes on
    (a second leftover listed after the first is removed)."""
    path = tmp_path / "m.json"
    dead = _dead_pid()
    leftover = tmp_path / f".m.json.{dead}.0123abcd.tmp"
    second = tmp_path / f".m.json.{dead}.456789ab.tmp"
    real_scandir, real_unlink = os.scandir, os.unlink

    def scandir(where):
        entries = sorted(real_scandir(where), key=lambda e: e.name == second.name)
        real_unlink(leftover)  # the other save, between our listing and our stat
        return iter(entries)

    leftover.write_text("half a model")
    second.write_text("half a model")
    monkeypatch.setattr(os, "scandir", scandir)
    write_atomic(path, "one")
    assert not second.exists()
    monkeypatch.undo()

    def unlink(where, *args, **kwargs):
        if os.fspath(where) == str(leftover):
            real_unlink(where)  # the other save, just before ours
        real_unlink(where, *args, **kwargs)

    leftover.write_text("half a model")
    monkeypatch.setattr(os, "unlink", unlink)
    write_atomic(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_a_save_never_removes_the_temp_file_another_thread_is_writing(tmp_path, monkeypatch):
    """Thread A is inside its write (held at fsync) when thread B saves the same target:
    A's temp file has our pid, but B's cleanup skips it (and goes on to remove a dead
    save's leftover listed after it); both saves succeed, A's last."""
    path = tmp_path / "m.json"
    inside, go_on = threading.Event(), threading.Event()
    real_fsync, real_scandir = os.fsync, os.scandir
    a_thread = []
    ours = f".m.json.{os.getpid()}."

    def scandir(where):  # A's temp file first, the leftover after it
        return iter(sorted(real_scandir(where), key=lambda e: not e.name.startswith(ours)))

    def fsync(fd):
        if threading.current_thread() is a_thread[0] and not go_on.is_set():
            inside.set()
            assert go_on.wait(60)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "scandir", scandir)
    errors = []

    def save_a():
        try:
            write_atomic(path, "A")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    a_thread.append(threading.Thread(target=save_a))
    a_thread[0].start()
    try:
        assert inside.wait(60)
        assert len([p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]) == 1
        leftover = tmp_path / f".m.json.{_dead_pid()}.0123abcd.tmp"
        leftover.write_text("half a model")
        write_atomic(path, "B")
        assert path.read_text() == "B"
        assert not leftover.exists()
    finally:
        go_on.set()
        a_thread[0].join(60)
    assert errors == []
    assert path.read_text() == "A"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


@pytest.mark.parametrize("name", ["", ".", "..", "/", "{tmp}/.."])
def test_a_path_that_names_no_file_is_a_value_error(tmp_path, name):
    """'', '.', '..', '/' and a folder's '..' name no file: ValueError naming the path, and
    nothing is written (never an IsADirectoryError from trying)."""
    shown = name.format(tmp=tmp_path)
    with pytest.raises(ValueError, match=f"^write_atomic: path must name a file, got '{shown}'$"):
        write_atomic(shown, "x")
    assert list(tmp_path.iterdir()) == []


def test_owner_names_the_caller_and_is_given_by_keyword_only(tmp_path):
    """``owner`` starts every error message; path and text may be given by keyword, owner
    only by keyword (a third positional argument is a TypeError)."""
    with pytest.raises(ValueError, match="^save: path must name a file"):
        write_atomic(".", "x", owner="save")
    with pytest.raises(TypeError, match="^save: text must be a str"):
        write_atomic(tmp_path / "a.txt", 1, owner="save")
    with pytest.raises(FileNotFoundError, match="save: cannot write"):
        write_atomic(tmp_path / "no" / "a.txt", "x", owner="save")
    assert write_atomic(path=tmp_path / "a.txt", text="x", owner="save").read_text() == "x"
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "a.txt", "y", "save")
    assert (tmp_path / "a.txt").read_text() == "x"


def test_a_temp_file_that_could_not_be_made_is_said_as_what_happened(tmp_path, monkeypatch):
    """Creating the temporary file fails (as in a folder we may not write, which root cannot
    see): the PermissionError names the target; nothing is there to remove, and trying does
    not replace the error by a FileNotFoundError."""
    path = tmp_path / "m.json"

    def refused(file, mode="r", *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(file))

    monkeypatch.setattr(files, "open", refused, raising=False)
    with pytest.raises(PermissionError) as info:
        write_atomic(path, "x")
    assert info.value.filename == str(path)
    assert list(tmp_path.iterdir()) == []
