"""Every Python block in README.md and docs/*.md runs on its own, and the docs stay in step.

The convention, for whoever edits the README or a page of ``docs/``:

- A block fenced as ```python (or ```py, ```python3) is code a reader can paste into a fresh
  interpreter: it runs alone, in a new Python process whose working directory is an empty
  temporary folder (files it writes land there), with the repository on ``PYTHONPATH``. So
  every name it uses is imported or defined in it.
- A block whose first line is the comment ``# continues the block above`` is the exception: it
  runs after the blocks of its chain above it in the same file, in the same process.
- A block that imports an optional package (``OPTIONAL``: torch, numpy, micrograd, hypothesis)
  is skipped when that package is not installed, with a message naming it; under CI (env ``CI``
  set) it fails instead, as the test command installs them all.
- Output, shell sessions and pseudo-code are fenced as something else (```text, ```bash, ...)
  and are not run.

A failure names the file and line of the block's line that raised, and shows its traceback
(whose line numbers are the file's own). The other checks: the README stays a front page (at
most ``README_MAX_LINES`` lines), every relative link in the pages leads to a file that exists,
and docs/engine.md has one line per op of ``autograd_engine.ALL_OPS`` in its op table.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ENGINE_PAGE = ROOT / "docs" / "engine.md"
README_MAX_LINES = 250
CONTINUES = "# continues the block above"
OPTIONAL = {"torch", "numpy", "micrograd", "hypothesis"}
PYTHON_TAGS = {"python", "py", "python3"}
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
# The op table of docs/engine.md: the rows between this marker and the next blank line.
OP_TABLE_MARKER = "<!-- op table: one row per op of autograd_engine.ALL_OPS -->"
OP_ROW = re.compile(r"^\|\s*`([A-Za-z_][\w]*)`\s*\|")

# Runs a chain of blocks in one namespace, each compiled with its own file name and padded with
# blank lines, so a traceback names the Markdown file and line.
DRIVER = """
import json, sys
namespace = {"__name__": "__main__"}
for path, line, code in json.load(sys.stdin):
    exec(compile("\\n" * (line - 1) + code, path, "exec"), namespace)
"""


@dataclass(frozen=True)
class Block:
    """One fenced Python block: the file it is in, the line its code starts on, its code."""

    path: Path
    line: int
    code: str

    @property
    def continues(self) -> bool:
        """Whether the block says it runs after the one above it."""
        first = self.code.lstrip("\n").split("\n", 1)[0]
        return first.strip() == CONTINUES

    @property
    def where(self) -> str:
        """``file:line`` relative to the repository, for ids and messages."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def python_blocks(markdown: str, path: Path = README) -> list[Block]:
    """The Python blocks of ``markdown`` in order (other languages and nested fences left out)."""
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
            blocks.append(Block(path, i + 2, "\n".join(lines[i + 1 : end]) + "\n"))
        i = end + 1
    return blocks


def chains(blocks: list[Block]) -> list[list[Block]]:
    """Group blocks into runs: a block starts a chain unless it continues the one above."""
    result: list[list[Block]] = []
    for block in blocks:
        if block.continues:
            if not result:
                raise ValueError(f"{block.where}: '{CONTINUES}' but no block above it")
            result[-1].append(block)
        else:
            result.append([block])
    return result


def pages() -> list[Path]:
    """The README and every page of docs/."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def all_chains() -> list[list[Block]]:
    """Every chain of every page, in page order."""
    found: list[list[Block]] = []
    for page in pages():
        found += chains(python_blocks(page.read_text(encoding="utf-8"), page))
    return found


def imported_packages(code: str) -> set[str]:
    """The top-level packages a block imports (absolute imports; empty if it does not parse)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()  # the run reports it, with its line
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def failing_line(stderr: str) -> str | None:
    """``file:line`` of the last Markdown frame of a traceback (where the block raised)."""
    frames = re.findall(r'File "([^"]+\.md)", line (\d+)', stderr)
    if not frames:
        return None
    path, line = frames[-1]
    try:
        path = str(Path(path).relative_to(ROOT))
    except ValueError:
        pass
    return f"{path}:{line}"


def run_chain(chain: list[Block], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the chain's blocks in order in a fresh interpreter, in ``cwd``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"  # a block that plots must not need a display
    payload = json.dumps([[str(b.path), b.line, b.code] for b in chain])
    return subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=payload,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def missing_optional(chain: list[Block], optional: set[str] = OPTIONAL) -> list[str]:
    """The optional packages the chain imports that are not installed, sorted."""
    needed = set().union(*(imported_packages(b.code) for b in chain)) & optional
    return sorted(m for m in needed if importlib.util.find_spec(m) is None)


CHAINS = all_chains()


@pytest.mark.parametrize("chain", CHAINS, ids=[chain[-1].where for chain in CHAINS])
def test_block_runs_in_a_fresh_interpreter(chain, tmp_path):
    """The block (after its chain above, if it continues one) runs without error on its own."""
    missing = missing_optional(chain)
    if missing:
        message = f"{chain[-1].where} imports {', '.join(missing)}, which is not installed"
        if os.environ.get("CI"):
            pytest.fail(message + " (under CI every optional package must be present)")
        pytest.skip(message)
    result = run_chain(chain, tmp_path)
    if result.returncode != 0:
        where = failing_line(result.stderr) or chain[-1].where
        start = f" (a chain from {chain[0].where})" if len(chain) > 1 else ""
        pytest.fail(f"{where}: the block failed{start}:\n{result.stderr[-4000:]}", pytrace=False)


def test_blocks_are_found_in_order():
    """The extractor keeps order and lines, skips other languages and nested fences."""
    text = "\n".join(
        [
            "# Title",
            "```python",
            "a = 1",
            "```",
            "```text",
            "```python",  # inside a text block: not a block of its own
            "```",
            "",
            "```py",
            "b = 2",
            "```",
            "````bash",
            "echo ```python",
            "````",
        ]
    )
    blocks = python_blocks(text, README)
    assert [(b.code, b.line) for b in blocks] == [("a = 1\n", 3), ("b = 2\n", 10)]


def test_a_block_that_continues_joins_the_chain_above():
    """Only the marker's blocks join the one before; a marker with nothing above is an error."""
    text = "\n".join(
        [
            "```python",
            "a = 1",
            "```",
            "```python",
            CONTINUES,
            "b = a + 1",
            "```",
            "```python",
            "c = 3",
            "```",
        ]
    )
    groups = chains(python_blocks(text, README))
    assert [[b.line for b in chain] for chain in groups] == [[2, 5], [9]]
    with pytest.raises(ValueError, match="no block above"):
        chains(python_blocks("```python\n" + CONTINUES + "\nx = 1\n```\n", README))


def test_a_failing_block_names_its_file_and_line(tmp_path):
    """A block that uses a name it never imports fails, and the message gives its line."""
    page = ROOT / "docs" / "engine.md"
    block = Block(page, 40, "x = 1\ny = gradcheck(x)\n")  # gradcheck not imported
    result = run_chain([block], tmp_path)
    assert result.returncode != 0
    assert "NameError" in result.stderr and "gradcheck" in result.stderr
    assert failing_line(result.stderr) == "docs/engine.md:41"


def test_optional_imports_are_found():
    """``import torch``, ``from torch.nn import ...`` and ``import numpy as np`` are seen."""
    code = "import torch\nfrom numpy.linalg import norm\nimport nn.interop\nfrom . import x\n"
    assert imported_packages(code) == {"torch", "numpy", "nn"}


def test_a_block_needing_a_missing_package_is_found():
    """A chain importing an absent optional package is reported; an installed one is not."""
    chain = [
        Block(README, 1, "import json\n"),
        Block(README, 5, CONTINUES + "\nfrom not_installed_pkg.sub import x\nimport pytest\n"),
    ]
    assert missing_optional(chain, {"not_installed_pkg", "pytest", "json"}) == ["not_installed_pkg"]
    assert missing_optional(chain[:1], {"not_installed_pkg"}) == []


def test_the_pages_show_code():
    """The README and the engine page hold Python blocks (so no test passes by finding none)."""
    readme = python_blocks(README.read_text(encoding="utf-8"), README)
    assert len(readme) >= 3
    assert any("backward()" in b.code for b in readme)
    assert len(python_blocks(ENGINE_PAGE.read_text(encoding="utf-8"), ENGINE_PAGE)) >= 3


def test_the_readme_is_a_front_page():
    """The README stays short enough to read to the end; reference material lives in docs/."""
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines, at most {README_MAX_LINES}"


LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to -."""
    found = set()
    for line in markdown.splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
        if heading:
            found.add(re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-"))
    return found


def test_anchors_follow_github():
    """A heading with code, a colon and a comma gets the anchor GitHub gives it."""
    assert anchors("# Title\n## Compiling `fit`: fast, exact\ntext") == {
        "title",
        "compiling-fit-fast-exact",
    }


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files(page):
    """Every relative link of a page (images included) names a file that exists, and a heading
    of it when it has an anchor (``page.md#heading``)."""
    broken = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):
                continue  # a URL
            name, _, anchor = target.partition("#")
            linked = page.parent / name if name else page
            if not linked.exists():
                broken.append(f"{page.relative_to(ROOT)}:{number}: {target}")
            elif anchor and linked.suffix == ".md":
                if anchor not in anchors(linked.read_text(encoding="utf-8")):
                    broken.append(f"{page.relative_to(ROOT)}:{number}: {target} (no such heading)")
    assert not broken, "links to nothing:\n" + "\n".join(broken)


def documented_ops(markdown: str) -> list[str]:
    """The op names of the op table: first-column names of the rows after the marker."""
    lines = markdown.splitlines()
    if OP_TABLE_MARKER not in lines:
        raise AssertionError(f"docs/engine.md has no line {OP_TABLE_MARKER!r}")
    names = []
    for line in lines[lines.index(OP_TABLE_MARKER) + 1 :]:
        if not line.strip():
            if names:
                break
            continue
        row = OP_ROW.match(line)
        if row:
            names.append(row.group(1))
    return names


def test_documented_ops_are_read_from_the_table():
    """The reader takes the first column's names, stopping at the table's end."""
    text = "\n".join(
        [
            OP_TABLE_MARKER,
            "",
            "| op | formula |",
            "| --- | --- |",
            "| `add` | a + b |",
            "| `log1p` | log(1 + a) |",
            "",
            "| `later` | not in the table |",
        ]
    )
    assert documented_ops(text) == ["add", "log1p"]


def test_every_op_has_its_line_in_the_engine_page():
    """docs/engine.md's op table has one row per op of ALL_OPS, no more, no repeats."""
    from autograd_engine import ALL_OPS

    ops = [str(op) for op in ALL_OPS]
    documented = documented_ops(ENGINE_PAGE.read_text(encoding="utf-8"))
    missing = [op for op in ops if op not in documented]
    assert not missing, f"ops of ALL_OPS without a row in docs/engine.md's op table: {missing}"
    extra = [name for name in documented if name not in ops]
    assert not extra, f"rows of docs/engine.md's op table that are not in ALL_OPS: {extra}"
    repeated = sorted({name for name in documented if documented.count(name) > 1})
    assert not repeated, f"ops with more than one row in docs/engine.md: {repeated}"
