"""python -m nn: the two-moons demo trains to >= 97%, prints it and saves two PNG plots."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
