"""write_atomic: whole or nothing, and the permissions a plain open() would give."""

from __future__ import annotations

import os
import stat

import pytest

from autograd_engine.files import write_atomic


def test_written_file_has_umask_permissions(tmp_path):
    """Under umask 022 the file is 0644 (mkstemp alone would leave 0600)."""
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "a.txt", "hello")
    finally:
        os.umask(old)
    assert path.read_text() == "hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


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
