"""write_atomic: whole or nothing, the permissions a plain open() would give, no leftovers."""

from __future__ import annotations

import os
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


def test_temp_files_of_live_processes_are_kept_until_old(tmp_path):
    """A temp file of a live process is kept, unless older than STALE_AFTER."""
    path = tmp_path / "m.json"
    alive = os.getppid()
    fresh = tmp_path / f".m.json.{alive}.00000001.tmp"
    fresh.write_text("a save in progress elsewhere")
    old = tmp_path / f".m.json.{alive}.00000002.tmp"
    old.write_text("abandoned")
    past = time.time() - files.STALE_AFTER - 60
    os.utime(old, (past, past))
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


def test_only_files_of_the_exact_temp_naming_are_removed(tmp_path):
    """.<name>.<pid>.<8 hex>.tmp of a dead pid goes; every near miss of that naming stays."""
    path = tmp_path / "m.json"
    dead = _dead_pid()
    ours = tmp_path / f".m.json.{dead}.0123abcd.tmp"
    near_misses = [
        f".m.json.{dead}.0123abcd.tmp.bak",  # four parts
        f".m.json.{dead}.0123abcd",  # two parts
        f".m.json.{dead}.0123abcd.txt",  # not .tmp
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
    write_atomic(path, "new")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["m.json", folder.name, link.name, *near_misses])


@pytest.mark.parametrize(("seconds", "removed"), [(-1.0, False), (0.0, True), (1.0, True)])
def test_a_live_process_temp_file_is_stale_from_stale_after_seconds_on(
    tmp_path, monkeypatch, seconds, removed
):
    """With the clock fixed, a live process's temp file goes once its age reaches STALE_AFTER."""
    age = files.STALE_AFTER + seconds
    now = 2_000_000_000.0
    monkeypatch.setattr(files.time, "time", lambda: now)
    leftover = tmp_path / f".m.json.{os.getppid()}.00000001.tmp"
    leftover.write_text("a save in progress elsewhere")
    os.utime(leftover, (now - age, now - age))
    write_atomic(tmp_path / "m.json", "new")
    assert leftover.exists() is not removed
