"""Importing the engine or the optimizers loads no drawing code; drawing names load on use.

Each check runs in a fresh interpreter, so modules imported by other tests do not count.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import autograd_engine

DRAWING = ("graphviz", "autograd_engine.pictures.viz", "autograd_engine.pictures.layout")
LAZY = (*DRAWING, "autograd_engine.pictures.playback", "autograd_engine.checking.gradient_check")


def loaded_after(statement: str) -> set[str]:
    """The drawing modules in ``sys.modules`` after running ``statement`` in a new Python."""
    code = f"import sys\n{statement}\nprint(' '.join(m for m in {LAZY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "statement", ["import autograd_engine", "import nn.optim", "import nn", "import nn.train"]
)
def test_importing_the_engine_or_the_optimizers_loads_no_drawing_code(statement):
    """graphviz stays out of sys.modules until a drawing name is used."""
    assert loaded_after(statement) == set()


def test_a_drawing_name_loads_its_module_on_first_use():
    """``autograd_engine.draw_dot`` imports viz (and graphviz) and is viz's own function."""
    loaded = loaded_after(
        "import autograd_engine, autograd_engine.pictures.viz as viz\n"
        "assert autograd_engine.draw_dot is viz.draw_dot"
    )
    assert {"graphviz", "autograd_engine.pictures.viz"} <= loaded
    assert loaded_after("from autograd_engine import save_svg") >= {"graphviz"}


def test_every_exported_name_resolves_and_unknown_names_raise():
    """Each name in ``__all__`` is reachable (lazily or not); a typo is an AttributeError."""
    for name in autograd_engine.__all__:
        assert getattr(autograd_engine, name) is not None
        assert name in dir(autograd_engine)
    with pytest.raises(AttributeError, match="no attribute 'draw_dots'"):
        autograd_engine.draw_dots  # noqa: B018 - the attribute access is the test


def test_gradcheck_and_the_player_load_on_first_use_and_are_the_functions():
    """``gradcheck`` and ``player`` load their modules when first used, and stay the
    functions even after their modules are imported by name."""
    assert loaded_after("from autograd_engine import gradcheck") == {
        "autograd_engine.checking.gradient_check"
    }
    assert "autograd_engine.pictures.playback" in loaded_after("from autograd_engine import player")
    loaded_after(
        "import autograd_engine.checking.gradient_check, autograd_engine.pictures.playback\n"
        "from autograd_engine import gradcheck, player, GradcheckError\n"
        "assert callable(gradcheck) and gradcheck.__name__ == 'gradcheck'\n"
        "assert callable(player) and player.__name__ == 'player'\n"
        "assert issubclass(GradcheckError, AssertionError)"
    )
