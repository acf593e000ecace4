"""Every ``>>>`` example in the docstrings of ``autograd_engine`` and ``nn`` runs as shown.

Modules are found by walking both packages and their subpackages, so a new module's examples
run without registering it here. Each docstring with examples is its own test, run in a
temporary working directory (examples that write files leave nothing behind). A module that
needs an optional package (``OPTIONAL``, e.g. torch for ``nn.interop``) is skipped, not failed,
when that package is missing. Flags: ``ELLIPSIS`` (``...`` matches anything) and
``NORMALIZE_WHITESPACE``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import autograd_engine
import nn

PACKAGES = (autograd_engine, nn)
OPTIONAL = {"torch", "numpy", "hypothesis"}  # a module importing one skips without it
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def modules() -> list[tuple[str, ModuleType | None, str | None]]:
    """(name, module or None, why it is missing) for every module of both packages."""
    found = []
    for package in PACKAGES:
        names = [package.__name__] + [  # subpackages (core, pictures, ...) and their modules
            info.name for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
        ]
        for name in names:
            try:
                found.append((name, importlib.import_module(name), None))
            except ModuleNotFoundError as error:
                if error.name not in OPTIONAL:
                    raise
                found.append((name, None, f"{name} needs {error.name}"))
    return found


def doctests() -> list:
    """One pytest param per docstring that has examples (or per module that cannot import)."""
    params = []
    finder = doctest.DocTestFinder(exclude_empty=True)
    for name, module, missing in modules():
        if module is None:
            params.append(pytest.param(None, id=name, marks=pytest.mark.skip(reason=missing)))
            continue
        for test in finder.find(module, name):
            if test.examples:
                params.append(pytest.param(test, id=test.name))
    return params


DOCTESTS = doctests()


@pytest.mark.parametrize("test", DOCTESTS)
def test_docstring_examples(test, tmp_path, monkeypatch):
    """The docstring's examples, run in order, print exactly what the docstring shows."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    result = runner.run(test, out=report.append)
    assert result.attempted == len(test.examples)
    assert result.failed == 0, "".join(report)


KEY_PUBLIC_NAMES = [
    "autograd_engine.core.value.Value",
    "autograd_engine.core.derivatives.grad",
    "autograd_engine.core.derivatives.hessian",
    "autograd_engine.checking.gradient_check.gradcheck",
    "autograd_engine.core.mode.no_grad",
    "nn.losses.mse_loss",
    "nn.losses.binary_cross_entropy",
    "nn.losses.cross_entropy",
    "nn.losses.hinge_loss",
    "nn.losses.softmax",
]


@pytest.mark.parametrize("qualified", KEY_PUBLIC_NAMES)
def test_key_public_names_show_an_example(qualified):
    """The names a learner meets first carry a runnable example (collected above)."""
    names = {test.values[0].name for test in DOCTESTS if test.values[0] is not None}
    assert qualified in names
