"""The optimizer race: the real ``nn.optim`` optimizers on two Values over a 2-D surface.

``race("valley")`` runs each racer (an optimizer, optionally with a schedule) from its start
for ``steps`` steps on ``E(x, y)``: ``zero_grad()``, ``E(x, y).backward()``, ``step()``, then
the schedule's ``step()``. The result, a ``Race``, is a page like the player's (``html()``,
``save(path)``, ``_repr_html_()``): the contour plot, each path growing as you scrub, and a
table of each racer's position and loss at the current step.

Surfaces (``SURFACES``): ``valley`` ``x^2/20 + y^2`` (the narrow valley), ``rosenbrock``
``(1 - x)^2 + 100 (y - x^2)^2``, ``saddle`` ``x^2 - y^2``, and ``seed000`` ``x^2/2 + y^2``,
the symmetric surface of seed 000's Figure 1: four learning rates, each from one of four
symmetric starting points, each decayed by 10% per iteration (``ExponentialLR(gamma=0.9)``).

DOM contract: ``[data-role=step]`` ``k / n``, ``[data-role=scrub]`` an ``<input type=range>``,
``[data-action=first|prev|next|last|play]``, ``[data-role=contour]`` the plot, in which each
racer's path is a ``<polyline data-racer=NAME>``; ``[data-role=race-table]`` rows
``<tr data-racer=NAME data-x data-y data-loss>`` (full precision) for the current step.
A racer that stops (a non-finite step) keeps its last position.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from autograd_engine import Value
from autograd_engine.files import html_page, write_atomic
from autograd_engine.validation import check_int, show
from nn.optim import SGD, Adagrad, Adam, RMSprop
from nn.schedules import ExponentialLR

__all__ = ["SURFACES", "Surface", "Race", "race"]

Racer = Callable[[list[Value]], Any]  # params -> optimizer, or (optimizer, scheduler)
_instances = itertools.count(1)


@dataclass(frozen=True)
class Surface:
    """A 2-D error surface: ``f`` works on floats and on Values; ``box`` is (x0, x1, y0, y1)."""

    name: str
    formula: str
    f: Callable[[Any, Any], Any]
    box: tuple[float, float, float, float]
    start: tuple[float, float]
    steps: int
    racers: Callable[[], dict[str, tuple[Racer, tuple[float, float] | None]]]
    """name -> (make, start or None): the racers run when ``race`` is given none."""


Entries = dict[str, tuple[Racer, tuple[float, float] | None]]


def _standard(lr_sgd: float, lr_adaptive: float) -> Entries:
    return {
        "SGD": (lambda ps: SGD(ps, lr=lr_sgd), None),
        "momentum 0.9": (lambda ps: SGD(ps, lr=lr_sgd, momentum=0.9), None),
        "Nesterov 0.9": (lambda ps: SGD(ps, lr=lr_sgd, momentum=0.9, nesterov=True), None),
        "Adagrad": (lambda ps: Adagrad(ps, lr=lr_adaptive * 5), None),
        "RMSprop": (lambda ps: RMSprop(ps, lr=lr_adaptive), None),
        "Adam": (lambda ps: Adam(ps, lr=lr_adaptive * 2), None),
    }


def _seed000() -> Entries:
    def decayed(lr: float) -> Racer:
        def make(ps: list[Value]) -> Any:
            opt = SGD(ps, lr=lr)
            return opt, ExponentialLR(opt, gamma=0.9)

        return make

    starts = [(2.0, 1.5), (-2.0, 1.5), (-2.0, -1.5), (2.0, -1.5)]
    lrs = [0.05, 0.3, 0.8, 1.05]
    return {
        f"gamma{i} = {lr}": (decayed(lr), start)
        for i, (lr, start) in enumerate(zip(lrs, starts, strict=True))
    }


SURFACES: dict[str, Surface] = {
    "valley": Surface(
        "valley",
        "x^2/20 + y^2",
        lambda x, y: x**2 / 20 + y**2,
        (-10, 10, -3, 3),
        (-9.0, 2.0),
        80,
        lambda: _standard(0.4, 0.3),
    ),
    "rosenbrock": Surface(
        "rosenbrock",
        "(1 - x)^2 + 100 (y - x^2)^2",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        (-2, 2, -1, 3),
        (-1.5, 2.0),
        300,
        lambda: _standard(0.0008, 0.02),
    ),
    "saddle": Surface(
        "saddle",
        "x^2 - y^2",
        lambda x, y: x**2 - y**2,
        (-2, 2, -2, 2),
        (-1.8, 0.05),
        25,
        lambda: _standard(0.05, 0.05),
    ),
    "seed000": Surface(
        "seed000",
        "x^2/2 + y^2 (seed 000, Figure 1)",
        lambda x, y: x**2 / 2 + y**2,
        (-3, 3, -2.2, 2.2),
        (2.0, 1.5),
        30,
        _seed000,
    ),
}
"""The surfaces ``race`` knows, by name."""


def race(
    surface: str | Surface = "valley",
    racers: dict[str, Racer | tuple[Racer, tuple[float, float] | None]] | None = None,
    steps: int | None = None,
    start: tuple[float, float] | None = None,
) -> Race:
    """Run every racer on ``surface`` for ``steps`` steps; return the ``Race`` page.

    ``racers``: name -> ``make(params)`` returning an optimizer or ``(optimizer, scheduler)``,
    or ``(make, start)`` for a racer with a start of its own (default: the surface's own
    set: SGD, momentum, Nesterov, Adagrad, RMSprop and Adam; for ``seed000`` its four
    decayed learning rates). ``start`` (default the surface's) is where the others begin.
    """
    if isinstance(surface, str):
        if surface not in SURFACES:
            raise ValueError(
                f"race: surface must be one of {sorted(SURFACES)} or a Surface, got {surface!r}"
            )
        surface = SURFACES[surface]
    elif not isinstance(surface, Surface):
        raise TypeError(f"race: surface must be a name or a Surface, got {show(surface)}")
    n = surface.steps if steps is None else check_int("race", "steps", steps, min=1, max=100000)
    origin = surface.start if start is None else (float(start[0]), float(start[1]))
    chosen = surface.racers() if racers is None else racers
    if not isinstance(chosen, dict) or not chosen:
        raise TypeError(
            f"race: racers must be a non-empty dict of name -> make, got {show(chosen)}"
        )
    paths: dict[str, list[list[float]]] = {}
    for name, entry in chosen.items():
        make, own = entry if isinstance(entry, tuple) else (entry, None)
        if not callable(make):
            raise TypeError(f"race: racer {name!r} must be a function of the parameters")
        paths[name] = run(surface.f, make, own or origin, n)
    return Race(surface, paths, n)


def run(
    f: Callable[[Any, Any], Any], make: Racer, start: tuple[float, float], steps: int
) -> list[list[float]]:
    """[[x, y, E(x, y)]] after 0..steps steps of the optimizer ``make([x, y])`` on ``f``.

    A step that fails (a non-finite gradient or value: ``FloatingPointError``) ends the
    run; the path then stays where it was.
    """
    x, y = Value(float(start[0]), label="x"), Value(float(start[1]), label="y")
    made = make([x, y])
    opt, sched = made if isinstance(made, tuple) else (made, None)
    path = [[x.data, y.data, float(f(x.data, y.data))]]
    for _ in range(steps):
        opt.zero_grad()
        f(x, y).backward()
        try:
            opt.step()
        except FloatingPointError:
            break
        if sched is not None:
            sched.step()
        e = f(x.data, y.data)
        if not (math.isfinite(x.data) and math.isfinite(y.data) and math.isfinite(e)):
            break
        path.append([x.data, y.data, float(e)])
    while len(path) < steps + 1:
        path.append(path[-1])
    return path


_COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#000000", "#f032e6", "#9a6324"]


class Race:
    """The race page: ``html()``, ``save(path)``, ``_repr_html_()``; ``paths[name]`` holds
    ``[x, y, loss]`` per step."""

    def __init__(self, surface: Surface, paths: dict[str, list[list[float]]], steps: int) -> None:
        self.surface = surface
        self.paths = paths
        self.steps = steps
        self._png = _contour_png(surface)

    def html(self) -> str:
        """The whole page as a string: self-contained, no network request."""
        title = f"optimizer race on {self.surface.formula}"
        return html_page(title, self._fragment(self._token()))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``html()`` to ``path`` whole or not at all."""
        return write_atomic(path, self.html(), owner="Race.save")

    def _repr_html_(self) -> str:
        """The race inline in Jupyter; each display gets ids of its own."""
        return self._fragment(f"{self._token()}-{next(_instances)}")

    def _token(self) -> str:
        return "rr" + hashlib.sha1(json.dumps(self.paths).encode()).hexdigest()[:10]

    def _fragment(self, token: str) -> str:
        x0, x1, y0, y1 = self.surface.box
        W, H = 640, int(640 * (y1 - y0) / (x1 - x0)) if (y1 - y0) < (x1 - x0) else 640
        if H < 240:
            H = 240

        def px(x: float, y: float) -> str:
            return f"{W * (x - x0) / (x1 - x0):.1f},{H * (y1 - y) / (y1 - y0):.1f}"

        lines, rows = [], []
        for k, (name, path) in enumerate(self.paths.items()):
            color = _COLORS[k % len(_COLORS)]
            pts = " ".join(px(min(max(x, x0 - 9e3), x1 + 9e3), y) for x, y, _ in path)
            label = html.escape(name, quote=True)
            lines.append(
                f'<polyline data-racer="{label}" points="{pts}" fill="none" stroke="{color}" '
                'stroke-width="2" stroke-linejoin="round"/>'
                f'<circle data-head="{label}" r="4.5" fill="{color}" stroke="#fff" '
                f'cx="{px(*path[-1][:2]).split(",")[0]}" cy="{px(*path[-1][:2]).split(",")[1]}"/>'
            )
            x, y, e = path[-1]
            rows.append(
                f'<tr data-racer="{label}" data-x="{x!r}" data-y="{y!r}" data-loss="{e!r}">'
                f'<td><span style="color:{color}">&#x25A0;</span> {html.escape(name)}</td>'
                f"<td>{x:.4g}</td><td>{y:.4g}</td><td>{e:.4g}</td></tr>"
            )
        png = base64.b64encode(self._png).decode("ascii")
        data = {
            "paths": self.paths,
            "names": list(self.paths),
            "box": self.surface.box,
            "W": W,
            "H": H,
        }
        blob = (
            json.dumps(data, separators=(",", ":"))
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )
        js = (
            resources.files("nn.pictures")
            .joinpath("assets", "race.js")
            .read_text(encoding="utf-8")
            .replace("ROOT_ID", json.dumps(token))
        )
        n = self.steps
        return (
            f'<div class="rr" id="{token}" tabindex="0" '
            'style="font-size:13px;font-family:Helvetica,Arial,sans-serif">'
            f"<div><b>Optimizer race on E(x, y) = {html.escape(self.surface.formula)}</b></div>"
            '<div style="display:flex;gap:6px;align-items:center;margin:4px 0">'
            '<button type="button" data-action="first">&#x25C0;&#x25C0;</button>'
            '<button type="button" data-action="prev">&#x25C0;</button>'
            '<button type="button" data-action="play" aria-pressed="false">play</button>'
            '<button type="button" data-action="next">&#x25B6;</button>'
            '<button type="button" data-action="last">&#x25B6;&#x25B6;</button>'
            f'<input type="range" data-role="scrub" min="0" max="{n}" value="{n}" '
            'style="flex:1 1 300px;max-width:480px" aria-label="step">'
            f'<span>step <span data-role="step">{n} / {n}</span></span></div>'
            '<div style="display:flex;gap:16px;align-items:flex-start">'
            f'<svg data-role="contour" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
            'style="border:1px solid #ccc;overflow:hidden">'
            f'<image href="data:image/png;base64,{png}" x="0" y="0" width="{W}" height="{H}" '
            'preserveAspectRatio="none"/>' + "".join(lines) + "</svg>"
            '<table data-role="race-table" style="border-collapse:collapse;'
            'font-family:Menlo,Consolas,monospace;font-size:12px" cellpadding="3">'
            "<tr><th>racer</th><th>x</th><th>y</th><th>E(x, y)</th></tr>"
            + "".join(rows)
            + "</table></div>"
            f'<script type="application/json" class="rr-data">{blob}</script>'
            f"<script>{js}</script></div>"
        )


def _contour_png(surface: Surface) -> bytes:
    """Filled contours of the surface over its box (log-spaced levels), no axes, as PNG."""
    from matplotlib.figure import Figure  # no pyplot: the caller's backend stays as it is

    x0, x1, y0, y1 = surface.box
    size = 160
    xs = [x0 + (x1 - x0) * i / (size - 1) for i in range(size)]
    ys = [y0 + (y1 - y0) * j / (size - 1) for j in range(size)]
    z = [[float(surface.f(x, y)) for x in xs] for y in ys]
    low = min(min(row) for row in z)
    shifted = [[math.log10(v - low + 1e-3) for v in row] for row in z]
    fig = Figure(figsize=(6.4, 6.4 * (y1 - y0) / (x1 - x0)), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.contourf(xs, ys, shifted, levels=24, cmap="viridis", alpha=0.85)
    ax.contour(xs, ys, shifted, levels=24, colors="white", linewidths=0.3, alpha=0.6)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.axis("off")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
