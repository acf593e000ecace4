"""python -m nn: the two-moons demo trains to >= 97%, prints it and saves two PNG plots."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nn", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_default_demo_reaches_97_percent_and_saves_plots(tmp_path):
    """The default run prints a training accuracy >= 97% and the paths of two real PNG files."""
    result = run("--out", str(tmp_path / "plots"), "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"training accuracy: ([\d.]+)%", result.stdout).group(1))
    assert accuracy >= 97.0
    paths = re.findall(r"(?:loss curve|decision boundary): (\S+\.png)", result.stdout)
    assert len(paths) == 2
    for path in paths:
        data = Path(path).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000
    assert result.stderr == ""  # --no-progress: no bar


def test_default_out_dir_and_progress_bar(tmp_path):
    """Without --out the plots go to ./out; the progress bar goes to stderr."""
    result = run("--epochs", "2", "--samples", "40", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "decision_boundary.png",
        "loss_curve.png",
    ]
    assert "2/2" in result.stderr


def test_bad_arguments_exit_with_usage(tmp_path):
    """--epochs 0 is a usage error (exit 2) naming the option; nothing is written."""
    result = run("--epochs", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--epochs" in result.stderr
    assert not (tmp_path / "out").exists()


BAD_FLAGS = [
    (["--lr", "-0.01"], "--lr", "-0.01"),
    (["--lr", "0"], "--lr", "0.0"),
    (["--lr", "nan"], "--lr", "nan"),
    (["--lr", "inf"], "--lr", "inf"),
    (["--lr=-inf"], "--lr", "-inf"),  # "-inf" alone would read as a flag
    (["--noise", "-0.1"], "--noise", "-0.1"),
    (["--noise", "nan"], "--noise", "nan"),
    (["--noise", "inf"], "--noise", "inf"),
    (["--epochs", "-3"], "--epochs", "-3"),
    (["--samples", "1"], "--samples", "1"),
    (["--batch-size", "0"], "--batch-size", "0"),
]


@pytest.mark.parametrize("args, flag, shown", BAD_FLAGS, ids=[" ".join(a) for a, _, _ in BAD_FLAGS])
def test_each_bad_number_is_a_usage_error_before_any_work(tmp_path, args, flag, shown):
    """A bad number: exit 2, one usage line naming the flag and value, no traceback, no work."""
    result = run(*args, "--out", str(tmp_path / "plots"), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m nn: error: " + flag + " must be"), last
    assert last.endswith("got " + shown), last
    assert result.stdout == ""  # training never started
    assert not (tmp_path / "plots").exists()  # and nothing was created


def test_out_that_is_a_file_is_a_usage_error(tmp_path):
    """--out naming an existing file: exit 2 naming --out, and the file is left as it was."""
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    result = run("--out", str(target), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error: --out" in result.stderr and "is a file" in result.stderr
    assert result.stdout == ""
    assert target.read_text() == "keep me"


def test_out_under_a_file_cannot_be_created(tmp_path):
    """--out whose parent is a file cannot be created: exit 2 naming --out, before training."""
    (tmp_path / "notes.txt").write_text("")
    result = run("--out", str(tmp_path / "notes.txt" / "plots"), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error: --out" in result.stderr and "cannot be created" in result.stderr
    assert result.stdout == ""


def test_out_in_a_read_only_system_folder_cannot_be_created(tmp_path):
    """--out under /sys (no folder can be made there, even by root): exit 2 naming --out."""
    target = Path("/sys/autograd-engine-plots")
    if not Path("/sys").is_dir():
        pytest.skip("no /sys on this system")
    result = run("--out", str(target), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error: --out '/sys/autograd-engine-plots' cannot be created" in result.stderr
    assert result.stdout == ""
    assert not target.exists()


def test_out_folder_is_created_before_training(tmp_path, monkeypatch):
    """A nested --out already exists when training starts, so no plot can fail after it."""
    import nn.__main__ as demo

    out = tmp_path / "a" / "b"
    seen = []

    def fake_fit(*args, **kwargs):
        seen.append(out.is_dir())
        raise KeyboardInterrupt  # stop here: only the order matters

    monkeypatch.setattr(demo, "fit", fake_fit)
    assert demo.main(["--out", str(out), "--no-progress"]) == 130  # as Ctrl-C in fit
    assert seen == [True]
    assert list(out.iterdir()) == []  # the probe file is gone


def test_help_names_both_plots_and_one_epoch_reads_in_the_singular(tmp_path):
    """--help names the files a run writes; --epochs 1 prints "1 epoch", not "1 epochs"."""
    help_text = " ".join(run("--help", cwd=tmp_path).stdout.split())  # argparse wraps lines
    result = run("--epochs", "1", "--samples", "20", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["decision_boundary.png", "loss_curve.png"]
    assert all(name in help_text for name in written)
    assert result.stdout.splitlines()[0].endswith("; 1 epoch")
    assert "20 points" in result.stdout and "1 epochs" not in result.stdout


def test_compile_trains_to_the_same_numbers(tmp_path):
    """--compile runs the compiled model: the printed final loss and accuracy are those of the
    eager run, digit for digit (the compiler's steps are bit-identical to backward())."""
    eager = run("--out", str(tmp_path / "a"), "--no-progress", "--epochs", "3", cwd=tmp_path)
    fast = run(
        "--out", str(tmp_path / "b"), "--no-progress", "--epochs", "3", "--compile", cwd=tmp_path
    )
    assert eager.returncode == 0 and fast.returncode == 0, fast.stderr
    assert "(compiled)" in fast.stdout and "(compiled)" not in eager.stdout

    def numbers(out: str) -> list[str]:
        return re.findall(r"(?:final training loss|training accuracy): (\S+)", out)

    assert len(numbers(eager.stdout)) == 2 and numbers(fast.stdout) == numbers(eager.stdout)
