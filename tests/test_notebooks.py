"""Every notebook runs top to bottom (its asserts check the numbers) and is committed readable."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_the_six_lessons_are_there():
    """Notebooks 01 to 06 exist, numbered as a path."""
    numbers = sorted(int(p.name[:2]) for p in NOTEBOOKS if p.name[:2].isdigit())
    assert numbers[:6] == [1, 2, 3, 4, 5, 6], [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_with_outputs_and_opens_with_prose(path):
    """The first cell is markdown and every code cell was executed, so it reads well on GitHub."""
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown"
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert code, "a notebook without code"
    assert all(c.execution_count is not None for c in code), "commit the notebook executed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path):
    """Executing the notebook raises nothing: every assert in it holds."""
    nb = nbformat.read(path, as_version=4)
    if any(c.cell_type == "code" and "import torch" in c.source for c in nb.cells):
        pytest.importorskip("torch")  # PyTorch is optional: notebook 08 needs it
    client = nbclient.NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
