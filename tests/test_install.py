"""A plain ``pip install`` of the wheel runs both demos: its runtime dependencies are complete.

The wheel is built (``pip wheel --no-deps``) from a copy of the source tree, so a stale
``build/`` folder in the checkout cannot leak into it, and installed into a fresh venv with no
system site-packages; pip resolves its dependencies from PyPI (or its cache). The demos then run
from a temporary working directory, so ``python -m`` cannot pick up the checkout instead of the
installed packages. Building the venv takes a while, so one venv serves every test here.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Never copied into the build tree: caches, venvs and earlier build output.
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", "out", "*.pyc"
)


# Tools for tests, notebooks and benchmarks: never a runtime dependency.
DEV_ONLY = {"pytest", "hypothesis", "ruff", "nbmake", "nbformat", "nbclient", "ipykernel", "torch"}
DEV_ONLY |= {"micrograd", "numpy", "playwright", "mypy"}


def clean_env() -> dict[str, str]:
    """The environment minus anything that would let the checkout leak into the venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_TARGET"))}
    env.pop("VIRTUAL_ENV", None)
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built with pip from a copy of the source tree."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(base / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = (base / "dist").glob("autograd_engine-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The python of a fresh venv (no system site-packages) with only the wheel installed."""
    root = tmp_path_factory.mktemp("venv")
    venv.create(root, with_pip=True, system_site_packages=False, clear=True)
    python = root / "bin" / "python"
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=root,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return python


def run_in(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, env=clean_env(), cwd=cwd, timeout=600
    )


def test_wheel_holds_the_two_packages_and_nothing_else(wheel):
    """Top level of the wheel: autograd_engine/, nn/ and the dist-info, no tests or notebooks."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    top = {name.split("/")[0] for name in names}
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert top - dist_info == {"autograd_engine", "nn"}
    for module in (
        "autograd_engine/__main__.py",
        "autograd_engine/core/value.py",
        "nn/__main__.py",
    ):
        assert module in names
    # Every source file of the two packages is shipped.
    for package in ("autograd_engine", "nn"):
        for source in (ROOT / package).rglob("*.py"):  # subpackages (core, pictures...) too
            assert source.relative_to(ROOT).as_posix() in names
        for asset in (ROOT / package).rglob("assets/*"):  # the pages' JavaScript and CSS
            assert asset.relative_to(ROOT).as_posix() in names
    # The player's page script and style are package data.
    for asset in ("player.js", "player.css"):
        assert f"autograd_engine/pictures/assets/{asset}" in names


def test_wheel_metadata_requires_what_the_demos_import(wheel):
    """Requires-Dist: graphviz, matplotlib and tqdm always; test tools only under an extra."""
    with zipfile.ZipFile(wheel) as zf:
        (meta,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        text = zf.read(meta).decode()
        (record,) = [n for n in zf.namelist() if n.endswith(".dist-info/RECORD")]
        rows = list(csv.reader(io.StringIO(zf.read(record).decode())))
    requires = [
        line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    runtime = {re.split(r"[\s;<>=!~\[]", r, maxsplit=1)[0] for r in requires if "extra ==" not in r}
    assert {"graphviz", "matplotlib", "tqdm"} <= runtime  # what the demos and fit import
    assert not runtime & DEV_ONLY, runtime & DEV_ONLY  # test and notebook tools stay extras
    assert len(rows) == len(set(r[0] for r in rows))  # RECORD lists each file once


def test_installed_packages_come_from_the_wheel_not_the_checkout(installed, tmp_path):
    """In the venv, both packages import from its site-packages and no test tool is present."""
    code = (
        "import importlib.util, autograd_engine, nn, nn.train; "
        "print(autograd_engine.__file__); print(nn.__file__); "
        "print([m for m in ('pytest', 'hypothesis', 'torch') if importlib.util.find_spec(m)])"
    )
    result = run_in(installed, tmp_path, "-c", code)
    assert result.returncode == 0, result.stderr
    engine, nn_file, tools = result.stdout.splitlines()
    site = installed.parent.parent
    assert Path(engine).is_relative_to(site) and Path(nn_file).is_relative_to(site)
    assert not Path(engine).is_relative_to(ROOT)
    assert tools == "[]"


def test_installed_nn_demo_trains_and_saves_plots(installed, tmp_path):
    """`python -m nn --epochs 1` trains one epoch (progress bar on stderr) and writes two PNGs."""
    out = tmp_path / "plots"
    result = run_in(installed, tmp_path, "-m", "nn", "--epochs", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "training accuracy:" in result.stdout
    assert "1/1" in result.stderr  # tqdm's bar
    for name in ("loss_curve.png", "decision_boundary.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_installed_engine_demo_prints_the_table_and_writes_graphs(installed, tmp_path):
    """`python -m autograd_engine` prints dw and writes the forward and backward drawings."""
    out = tmp_path / "graphs"
    result = run_in(installed, tmp_path, "-m", "autograd_engine", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "-0.1966" in result.stdout and "0.3932" in result.stdout
    for view in ("forward", "backward"):
        assert (out / f"sigmoid_{view}.dot").read_text().startswith("digraph")
        if shutil.which("dot"):
            assert "<svg" in (out / f"sigmoid_{view}.svg").read_text()
