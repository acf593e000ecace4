"""Importing the engine or the optimizers loads no drawing code; drawing names load on use.

The folders are the architecture: ``autograd_engine/core`` (the engine) imports nothing from
``pictures`` or ``checking``, and nothing under ``autograd_engine/`` imports ``nn``; read from
the source, so an import hidden in a function body counts too. The run-time checks use a fresh
interpreter, so modules imported by other tests do not count.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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


ENGINE = Path(autograd_engine.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, anywhere in it (function bodies, ``TYPE_CHECKING``).

    ``from package import name`` counts as ``package.name`` too (``name`` may be a module);
    relative imports are resolved against the file's package.
    """
    package = ".".join(path.relative_to(ENGINE.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_engine_never_imports_nn():
    """No file under autograd_engine/ (core, checking, pictures or top level) imports nn."""
    sources = sorted(ENGINE.rglob("*.py"))
    assert len(sources) > 15 and ENGINE / "core" / "value.py" in sources
    offending = {
        f"{path.relative_to(ENGINE.parent)}: {module}"
        for path in sources
        for module in imported_modules(path)
        if within(module, ("nn",))
    }
    assert offending == set()


def test_the_core_imports_nothing_from_the_pictures_or_the_checking_tools():
    """core/ depends on no drawing and no checker (nor the strategies in testing.py)."""
    outside = ("autograd_engine.pictures", "autograd_engine.checking", "autograd_engine.testing")
    core = sorted((ENGINE / "core").glob("*.py"))
    assert {p.name for p in core} >= {"value.py", "graph.py", "ops.py", "mode.py"}
    offending = {
        f"{path.relative_to(ENGINE.parent)}: {module}"
        for path in core
        for module in imported_modules(path)
        if within(module, outside)
    }
    assert offending == set()


def test_importing_the_engine_loads_no_hypothesis_torch_or_nn():
    """``import autograd_engine`` stays light: the optional packages and nn stay unloaded."""
    code = (
        "import sys, autograd_engine\n"
        "print(' '.join(m for m in ('hypothesis', 'torch', 'nn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == []
