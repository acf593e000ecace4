"""Every Python block in README.md runs as written, in order, in one namespace.

The convention, for whoever edits the README:

- A block fenced as ```python (or ```py, ```python3) is code a reader can paste: it is run, top
  to bottom, after every block above it, sharing their names, in a fresh temporary working
  directory (files it writes land there). So each name a block uses is defined in it or above.
- Output, shell sessions and pseudo-code are fenced as something else (```text, ```bash, ...)
  and are not run.
- A block that needs an optional package is preceded by an HTML comment, on the line before the
  fence (blank lines between are allowed), which GitHub does not render:
  ``<!-- requires: torch -->`` (several: ``<!-- requires: torch, numpy -->``). It is skipped
  only when one of those packages cannot be imported; later blocks must not use its names.

A failure's traceback points at the README's own line numbers.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
PYTHON_TAGS = {"python", "py", "python3"}
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
REQUIRES = re.compile(r"^<!--\s*requires:\s*([\w.,\s-]+?)\s*-->\s*$")


@dataclass
class Block:
    """One fenced Python block: its code, the README line its code starts on, what it needs."""

    code: str
    line: int
    requires: tuple[str, ...]


def python_blocks(markdown: str) -> list[Block]:
    """The Python blocks of ``markdown`` in order, with each one's ``requires`` marker."""
    lines = markdown.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, tag = match.group(1), match.group(2).lower()
        # A closing fence is the same character, at least as long, with no info string.
        closing = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if tag in PYTHON_TAGS:
            requires: tuple[str, ...] = ()
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            marker = REQUIRES.match(lines[k].strip()) if k >= 0 else None
            if marker:
                requires = tuple(m.strip() for m in marker.group(1).split(",") if m.strip())
            blocks.append(Block("\n".join(lines[i + 1 : end]) + "\n", i + 2, requires))
        i = end + 1
    return blocks


def test_blocks_are_found_with_their_markers():
    """The extractor keeps order, skips other languages and nested fences, reads the marker."""
    text = "\n".join(
        [
            "# Title",
            "```python",
            "a = 1",
            "```",
            "```text",
            "```python",  # inside a text block: not a block of its own
            "```",
            "<!-- requires: torch, numpy -->",
            "",
            "```py",
            "b = a + 1",
            "```",
            "````bash",
            "echo ```python",
            "````",
        ]
    )
    blocks = python_blocks(text)
    assert [(b.code, b.line, b.requires) for b in blocks] == [
        ("a = 1\n", 3, ()),
        ("b = a + 1\n", 11, ("torch", "numpy")),
    ]


def test_the_readme_has_python_blocks():
    """The README shows code (so the test below cannot pass by finding none)."""
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    assert any("backward()" in b.code for b in blocks)


def test_every_readme_python_block_runs_in_order(tmp_path, monkeypatch):
    """Run each block after the ones above it, in one namespace, in a temp working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # a block that plots must not need a display
    namespace: dict[str, object] = {"__name__": "__readme__"}
    skipped = []
    for block in python_blocks(README.read_text(encoding="utf-8")):
        missing = [m for m in block.requires if importlib.util.find_spec(m) is None]
        if missing:
            skipped.append((block.line, missing))
            continue
        # Pad with blank lines so a traceback names the README line that failed.
        code = compile("\n" * (block.line - 1) + block.code, str(README), "exec")
        exec(code, namespace)
    if skipped:  # the other blocks did run: say which were left out, do not hide the pass
        warnings.warn(
            f"README blocks not run, packages missing (line, packages): {skipped}", stacklevel=1
        )
