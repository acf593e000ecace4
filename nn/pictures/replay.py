"""The training replay: one offline HTML page that steps through a recorded ``fit``.

``fit(..., record=True).replay()`` (or ``Recording.replay()``) makes a ``Replay``: ``.html()``,
``.save(path)``, ``_repr_html_()`` (and ``_repr_mimebundle_``, which adds a PNG of the last
step for viewers that run no scripts), as the backprop player. The page holds the recorded
numbers and our own JavaScript and CSS (``nn/pictures/assets/replay.js``, ``replay.css``): no
network request, so it opens from ``file://``, offline. Parameters, gradients and optimizer
state are stored as float64, exactly as recorded (byte-shuffled, deflated, base85); the traced
examples' per-neuron numbers to four significant digits; the decision boundary is evaluated
in the page from the recorded network, so no grid is stored per step. A traced example's
backward pass opens in the player's network view (``autograd_engine.network_player``), at
the parameters update k's gradient was computed at (step k - 1's).

The page's DOM contract (``data-role=step|scrub|loss-chart|boundary|network|param-panel|
example``, ``data-action``, ``data-label``, ``data-value``, ``data-grad``,
``data-state-NAME``, ``data-ready``, ``#step=k``) and its keys are listed in
docs/pictures.md; tests drive them in headless Chromium.
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
import re
import sys
import zlib
from array import array
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd_engine.files import html_page, write_atomic
from nn.record import Recording, now

if TYPE_CHECKING:
    from autograd_engine.pictures.drawing import Card, Network

__all__ = ["Replay", "LiveView", "encode_floats", "decode_floats"]

_instances = itertools.count(1)
GRID = 50
"""Cells per side of the decision-boundary grid the page evaluates."""


def _asset(name: str) -> str:
    return resources.files("nn.pictures").joinpath("assets", name).read_text(encoding="utf-8")


# base85 (5 characters per 4 bytes, against base64's 4 per 3) with an alphabet of our own
# that JSON and HTML carry as they are: no quote, backslash, <, > or &.
_B85 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
PAGE_ALPHABET = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%,()*+-;.='?@^_`{|}~"
)
"""The page's base85 digits, value 0 to 84 in order (Python's, with & < > replaced)."""
_TO_PAGE = bytes.maketrans(_B85, PAGE_ALPHABET.encode("ascii"))
_FROM_PAGE = bytes.maketrans(PAGE_ALPHABET.encode("ascii"), _B85)


def encode_floats(values: array[float], typecode: str = "d") -> str:
    """``"n:text"``: the deflated, byte-shuffled little-endian floats (``d``: 64-bit, ``f``:
    32) in base85 (``n`` bytes; the page decodes it in its script).

    Byte-shuffled: all first bytes, then all second bytes, ...: the sign and exponent bytes
    of neighbouring numbers agree, so deflate finds them.
    """
    packed = array(typecode, values)
    if sys.byteorder != "little":
        packed.byteswap()
    raw = packed.tobytes()
    width = packed.itemsize
    shuffled = b"".join(raw[j::width] for j in range(width))
    packed_bytes = zlib.compress(shuffled, 9)
    text = base64.b85encode(packed_bytes, pad=True).translate(_TO_PAGE).decode("ascii")
    return f"{len(packed_bytes)}:{text}"


def decode_floats(text: str, typecode: str = "d") -> array[float]:
    """The inverse of ``encode_floats``."""
    length, _, body = text.partition(":")
    packed = base64.b85decode(body.encode("ascii").translate(_FROM_PAGE))[: int(length)]
    shuffled = zlib.decompress(packed)
    width = array(typecode).itemsize
    count = len(shuffled) // width
    raw = bytearray(len(shuffled))
    for j in range(width):
        raw[j::width] = shuffled[j * count : (j + 1) * count]
    out: array[float] = array(typecode)
    out.frombytes(bytes(raw))
    if sys.byteorder != "little":
        out.byteswap()
    return out


def _json(x: Any) -> str:
    """JSON safe inside <script>: <, > and & escaped; nan and inf as null."""
    return (
        json.dumps(x, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _display_precision(values: array[float]) -> array[float]:
    """float32 with the low 8 of its 23 mantissa bits cleared (relative error below 4e-5:
    enough for the 4 digits the cards show), so deflate drops that byte."""
    packed = array("f", values)
    raw = array("I")
    raw.frombytes(packed.tobytes())
    cleared = array("I", [v & 0xFFFFFF00 for v in raw])
    out: array[float] = array("f")
    out.frombytes(cleared.tobytes())
    return array("d", out)


def _param_major(rows: list[array[float]]) -> array[float]:
    """Records x parameters -> parameters x records, flattened (a parameter's history
    is contiguous, which deflates better)."""
    steps = len(rows)
    if not steps:
        return array("d")
    count = len(rows[0])
    out = array("d", bytes(8 * steps * count))
    for s, row in enumerate(rows):
        out[s::steps] = row
    return out


_SENTINEL = re.compile(r"\d(?:\.\d{1,3})?e-(?:19[6-9]|200)")


def _sentinel(k: int) -> float:
    """A number standing for slot ``k`` in the template (``fmt`` writes it uniquely)."""
    return (k + 1) * 1e-200


def example_view(rec: Recording) -> tuple[Any, dict[str, Any]] | None:
    """The player's network view of one traced example's pass, laid out once (its cards
    and their layout are the same for every example and step): ``(player, template)``.

    The player (``autograd_engine.network_player``) is built from the real graph of a
    traced example's loss with every number replaced by a sentinel, then written back as
    a template: its cards' values and its steps' changes and explanations hold ```k```
    in place of slot ``k`` (a running sum of slots as ```s3,7```). ``template`` holds
    ``opens`` (the step the view opens at: the forward pass done) and ``slots``: what each
    slot is, for the page to compute from the recorded trace (``["out"|"dout"|"dz", at]``
    a neuron's number at offset ``at`` of a trace row, ``["loss"]``, ``["one"]``,
    ``["local", at, activation]`` d out/d z from the output, ``["w", p]`` parameter ``p``
    at the traced parameters, ``["dzw", at, p]`` d loss/d z times it, ``["dzx", at, i]``
    d loss/d z times the example's input ``i``, ``["dzo", at, at2]`` d loss/d z times
    another neuron's output). None when the model is not an MLP, nothing is traced, or the
    graph's cards are not its neurons and one loss card.
    """
    from autograd_engine.pictures.playback import network_player

    arch = rec.architecture
    if not rec.traced or arch is None or arch.get("type") != "MLP":
        return None
    at, act = _trace_offsets(arch)
    net = _traced_network(rec)
    if not _cards_are_the_neurons(net, at, len(arch["nouts"]) - 1):
        return None
    slots = _Slots()
    term_slot = _fill_slots(net, at, act, rec.labels, slots)
    if len(slots.keys) >= 9999:
        return None
    player = network_player(net, title="The backward pass of a traced example")
    level = player._network
    assert level is not None
    _write_template(level, net, term_slot, len(slots.keys))
    stale = re.compile(r"\d\.\d")  # a number the template does not compute from the trace
    if any(stale.search(step["explain"]) for step in level["steps"]):
        return None
    forward = [k for k, step in enumerate(level["steps"]) if step["phase"] != "backward"]
    # The player's own data is the template (read by the page); here what its slots are.
    template = {"opens": forward[-1], "slots": slots.keys}
    return player, template


def _trace_offsets(arch: dict[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    """Each neuron's offset in a trace row (after the loss, three numbers a neuron) and
    its activation, by label (``"L0.n1"``)."""
    at: dict[str, int] = {}
    act: dict[str, str] = {}
    off = 1
    for k, n in enumerate(arch["nouts"]):
        top = k == len(arch["nouts"]) - 1
        for j in range(n):
            at[f"L{k}.n{j}"] = off
            act[f"L{k}.n{j}"] = arch["output_activation"] if top else arch["activation"]
            off += 3
    return at, act


def _traced_network(rec: Recording) -> Network:
    """The network level of the first traced example's loss at the first record's
    parameters, in eval mode; the model's parameters and mode are restored."""
    from autograd_engine.pictures.drawing import build_model, network

    model = rec.model
    i = rec.traced[0]
    saved = [p.data for p in rec.params]
    training = model.training
    try:
        for p, v in zip(rec.params, rec.data[0], strict=True):
            p.data = v
        model.train(False)
        loss = rec.loss_fn([model(rec.X[i])], [rec.y[i]])
        loss.label = "loss"
        return network(build_model(loss, rec.params, True, True, None, "Replay"))
    finally:
        for p, v in zip(rec.params, saved, strict=True):
            p.data = v
        model.train(training)


def _cards_are_the_neurons(net: Network, at: dict[str, int], last: int) -> bool:
    """Whether the cards are the MLP's neurons and one loss card fed by the top layer."""
    neurons = [c for c in net.cards if c.kind == "neuron"]
    others = [c for c in net.cards if c.kind != "neuron"]
    return (
        sorted(c.label for c in neurons) == sorted(at)
        and len(others) == 1
        and sorted(net.cards[d].label for d in others[0].inputs)
        == sorted(lbl for lbl in at if lbl.startswith(f"L{last}."))
    )


class _Slots:
    """The template's slots: calling it with a slot's key gives that slot's sentinel,
    numbering each new key in turn (``keys[k]`` is slot ``k``'s key, as a list)."""

    def __init__(self) -> None:
        self.keys: list[list[Any]] = []
        self._index: dict[tuple[Any, ...], int] = {}

    def __call__(self, *key: Any) -> float:
        if key not in self._index:
            self._index[key] = len(self.keys)
            self.keys.append(list(key))
        return _sentinel(self._index[key])


def _fill_slots(
    net: Network, at: dict[str, int], act: dict[str, str], labels: list[str], slot: _Slots
) -> dict[tuple[int, int], int]:
    """Put sentinels in place of every card's numbers; returns the slot of each card's
    term ``(card, input k)``."""
    pindex = {label: q for q, label in enumerate(labels)}
    term_slot: dict[tuple[int, int], int] = {}
    for c, card in enumerate(net.cards):
        # The factor texts are composed from the graph with its numbers written in: the
        # view says what each card passes back without them (no stale number).
        card.factors, card.factor_texts = [], []
        if card.kind != "neuron":
            card.values, card.grads = [slot("loss")], [slot("one")]
            card.terms = [[slot("dout", at[net.cards[d].label])] for d in card.inputs]
        else:
            _fill_neuron_slots(net, card, at, act, pindex, slot)
        for j in range(len(card.terms)):
            term_slot[(c, j)] = round(card.terms[j][0] / 1e-200) - 1
    return term_slot


def _fill_neuron_slots(
    net: Network,
    card: Card,
    at: dict[str, int],
    act: dict[str, str],
    pindex: dict[str, int],
    slot: _Slots,
) -> None:
    """A neuron card's sentinels: output, gradient, local derivative, what it passes to
    each input, and each parameter with its gradient."""
    a = at[card.label]
    layer = int(card.label[1 : card.label.index(".")])
    card.values, card.grads = [slot("out", a)], [slot("dout", a)]
    card.locals = [slot("local", a, act[card.label])]
    if card.chain:  # dropout off: the activation's derivative only
        card.chain = [(card.chain[0][0], card.locals)]
    card.terms = []
    for d in card.inputs:
        source = net.cards[d].label
        w = f"{card.label}.w{source.split('.n')[-1]}"
        card.terms.append([slot("dzw", a, pindex[w])])
    params = []
    for label, _, _ in card.params:
        tail = label.rsplit(".", 1)[-1]
        if tail == "b":
            g = slot("dz", a)
        elif layer == 0:
            g = slot("dzx", a, int(tail[1:]))
        else:
            g = slot("dzo", a, at[f"L{layer - 1}.n{tail[1:]}"])
        params.append((label, slot("w", pindex[label]), g))
    card.params = params


def _write_template(
    level: dict[str, Any], net: Network, term_slot: dict[tuple[int, int], int], count: int
) -> None:
    """Write the player's level back as a template: each sentinel becomes ```k``` and each
    running sum of a card's gradient the slots it has received so far (```s3,7```)."""
    lookup = {fmt_sentinel(k): k for k in range(count)}

    def sub(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            if m.group() not in lookup:
                raise ValueError(f"Replay: an unexpected number {m.group()!r} in the template")
            return f"`{lookup[m.group()]}`"

        return _SENTINEL.sub(one, text)

    running: dict[int, list[int]] = {}
    for step in level["steps"]:
        k = step["node"]
        if step["phase"] == "backward":
            for j, d in enumerate(net.cards[k].inputs):
                running.setdefault(d, []).append(term_slot[(k, j)])
        step["set"] = [
            [d, kind, f"`s{','.join(map(str, running.get(d, [])))}`" if kind == "p" else sub(text)]
            for d, kind, text in step["set"]
        ]
        step["explain"] = sub(step["explain"])
    for card in level["cards"]:
        card["values"] = [sub(v) for v in card["values"]]
        card["grad"] = sub(card["grad"])


def fmt_sentinel(k: int) -> str:
    """How the player writes slot ``k``'s sentinel."""
    from autograd_engine.pictures.drawing import fmt

    return fmt(_sentinel(k))


def page_data(rec: Recording, title: str) -> dict[str, Any]:
    """Everything the page needs, as JSON-ready data (numbers encoded per ``encode_floats``)."""
    arch = rec.architecture
    boundary = bool(rec.X) and len(rec.X[0]) == 2 and arch is not None and arch["nouts"][-1] == 1
    traces: dict[str, Any] = {}
    for i, rows in rec.traces.items():
        flat = array("d")
        for row in rows:
            flat.append(row["loss"])
            for layer in row["neurons"]:
                for numbers in layer:
                    flat.extend(numbers)
        traces[str(i)] = encode_floats(_display_precision(flat), "f")
    before = {
        str(r): {
            "data": encode_floats(data),
            "state": {name: encode_floats(v) for name, v in state.items()},
        }
        for r, (data, state) in rec.before.items()
    }
    return {
        "title": title,
        "alphabet": PAGE_ALPHABET,
        "steps": rec.steps,
        "epoch": rec.epoch,
        "lr": [[_finite(v) for v in row] for row in rec.lr],
        "loss": [_finite(v) for v in rec.loss],
        "val_loss": [_finite(v) for v in rec.val_loss],
        "labels": rec.labels,
        "every": rec.every,
        "optimizer": rec.optimizer_name,
        "hyper": rec.hyper,
        "group_of": rec.group_of,
        "loss_name": rec.loss_name,
        "threshold": rec.threshold,
        "arch": arch,
        "boundary": boundary,
        "grid": GRID,
        "X": rec.X,
        "y": rec.y,
        "X_val": rec.X_val,
        "y_val": rec.y_val,
        "numbers": {
            "data": encode_floats(_param_major(rec.data)),
            "grad": encode_floats(_param_major(rec.grad)),
            "state": {name: encode_floats(_param_major(rows)) for name, rows in rec.state.items()},
        },
        "before": before,
        "traces": traces,
    }


class Replay:
    """A replay page of one recorded run: ``html()``, ``save(path)``, ``_repr_html_()``.

    Made by ``history.replay()``; holds the recording (its numbers are read when the
    page is made, so a later ``fit`` of the same model does not change it).
    """

    def __init__(self, recording: Recording, title: str | None = None) -> None:
        if not isinstance(recording, Recording):
            raise TypeError(f"Replay: needs a Recording, got {type(recording).__name__}")
        if title is not None and not isinstance(title, str):
            raise TypeError(f"Replay: title must be a str or None, got {type(title).__name__}")
        if not recording.steps:
            raise ValueError("Replay: the recording holds no step")
        self.recording = recording
        arch = recording.architecture
        shape = "-".join(str(n) for n in [arch["nin"], *arch["nouts"]]) if arch else "model"
        self.title = title or (
            f"{recording.optimizer_name} training a {shape} on {len(recording.X)} examples"
        )
        view = example_view(recording)
        self._view = None if view is None else view[0]
        data = page_data(recording, self.title)
        data["view"] = None if view is None else view[1]
        self._blob = _json(data)
        self._png: bytes | None = None

    @property
    def steps(self) -> int:
        """n, the last recorded step (the counter reads ``k / n``)."""
        return self.recording.steps[-1]

    def html(self) -> str:
        """The whole page as a string: self-contained, no network request."""
        body = self._fragment(self._token())
        return html_page(self.title, body)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``html()`` to ``path`` whole or not at all (temp file, then rename)."""
        return write_atomic(path, self.html(), owner="Replay.save")

    def _repr_html_(self) -> str:
        """The replay inline in Jupyter; each display gets ids of its own."""
        return self._fragment(f"{self._token()}-{next(_instances)}")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """HTML for Jupyter plus a PNG of the last step for viewers that run no scripts."""
        return {
            "text/html": self._repr_html_(),
            "image/png": base64.b64encode(self.png()).decode("ascii"),
        }

    def png(self) -> bytes:
        """A static picture of the last step: the loss curves and the decision boundary."""
        if self._png is None:
            self._png = static_png(self.recording, self.title)
        return self._png

    def _token(self) -> str:
        return "rp" + hashlib.sha1(self._blob.encode()).hexdigest()[:10]

    def _example_panel(self, token: str) -> str:
        """The traced example's panel: the player's network view (hidden until a point is
        clicked), or, for a model it cannot show, a panel the page fills with cards."""
        hint = "Click a ringed data point to see its backward pass at this step."
        if self._view is None:
            return f'<div data-role="example" class="rp-panel rp-example">{hint}</div>'
        player = self._view._fragment(f"{token}-ex", page=False).encode("utf-8")
        # Deflated (a fifth of its size; the page inflates and inserts it once ready).
        packed = zlib.compress(player, 9)
        text = base64.b85encode(packed, pad=True).translate(_TO_PAGE).decode("ascii")
        return (
            '<div data-role="example" class="rp-panel rp-example rp-has-view">'
            f'<div class="rp-ex-head">{hint}</div>'
            f'<script type="text/plain" class="rp-view">{len(packed)}:{text}</script></div>'
        )

    def _fragment(self, token: str, static: bool = True) -> str:
        css = _asset("replay.css").replace("#ROOT", f"#{token}")
        js = _asset("replay.js").replace("ROOT_ID", json.dumps(token))
        n = self.steps
        picture = ""
        if static:
            png = base64.b64encode(self.png()).decode("ascii")
            picture = (
                '<div class="rp-static"><img alt="the last step: loss curves and decision '
                f'boundary" src="data:image/png;base64,{png}"></div>\n'
            )
        return (
            f'<div class="rp" id="{token}" tabindex="0">\n<style>{css}</style>\n'
            f'<div class="rp-title">{html.escape(self.title)}</div>\n'
            '<div class="rp-controls" data-role="controls">'
            '<button type="button" data-action="first" title="first step (Home)">'
            "&#x25C0;&#x25C0;</button>"
            '<button type="button" data-action="prev" title="previous step (ArrowLeft)">'
            "&#x25C0;</button>"
            '<button type="button" data-action="play" title="play / pause (Space)" '
            'aria-pressed="false">play</button>'
            '<button type="button" data-action="next" title="next step (ArrowRight)">'
            "&#x25B6;</button>"
            '<button type="button" data-action="last" title="last step (End)">'
            "&#x25B6;&#x25B6;</button>"
            '<select data-role="speed" aria-label="speed">'
            '<option value="1">1 step/s</option><option value="5">5 steps/s</option>'
            '<option value="20" selected>20 steps/s</option>'
            '<option value="60">60 steps/s</option></select>'
            f'<input type="range" min="0" max="{len(self.recording.steps) - 1}" '
            f'value="{len(self.recording.steps) - 1}" data-role="scrub" aria-label="step">'
            f'<span class="rp-counter">step <span data-role="step">{n} / {n}</span></span>'
            '<span class="rp-epoch" data-role="epoch"></span>'
            "</div>\n"
            f"{picture}"
            '<div class="rp-main">'
            '<div class="rp-left">'
            '<svg data-role="loss-chart" class="rp-chart" viewBox="0 0 420 190"></svg>'
            '<svg data-role="lr-chart" class="rp-chart rp-lr" viewBox="0 0 420 90"></svg>'
            '<div class="rp-boundary-box"></div>'
            "</div>"
            '<div class="rp-right">'
            '<svg data-role="network" class="rp-network"></svg>'
            '<div class="rp-panels">'
            '<div data-role="param-panel" class="rp-panel">Click a weight (an edge) or a bias '
            "(a neuron) to see its update at this step.</div>"
            f"{self._example_panel(token)}"
            "</div></div></div>\n"
            f'<script type="application/json" class="rp-data">{self._blob}</script>\n'
            f"<script>{js}</script>\n</div>"
        )


def static_png(rec: Recording, title: str) -> bytes:
    """The last step drawn with matplotlib: loss curves, and the boundary for 2-D inputs."""
    from matplotlib.figure import Figure  # no pyplot: the caller's backend stays as it is

    k = rec.steps[-1]
    arch = rec.architecture
    has_boundary = bool(rec.X) and len(rec.X[0]) == 2 and arch is not None
    fig = Figure(figsize=(9 if has_boundary else 5, 3.6))
    axes = fig.subplots(1, 2) if has_boundary else [fig.subplots()]
    ax = axes[0]
    steps = [s for s, v in zip(rec.steps, rec.loss, strict=True) if math.isfinite(v)]
    ax.plot(steps, [v for v in rec.loss if math.isfinite(v)], label="batch loss", color="#1f77b4")
    val = [(s, v) for s, v in zip(rec.steps, rec.val_loss, strict=True) if math.isfinite(v)]
    if val:
        ax.plot(*zip(*val, strict=True), label="validation loss", color="#d62728")
    ax.set_xlabel("step")
    ax.set_title(f"loss, step {k}", fontsize=10)
    ax.legend(fontsize=8)
    if has_boundary:
        xs, ys, outs = rec.grid(k, 40)
        z = [outs[r * len(xs) : (r + 1) * len(xs)] for r in range(len(ys))]
        b = axes[1]
        b.contourf(xs, ys, z, levels=20, cmap="RdBu", alpha=0.8)
        b.contour(xs, ys, z, levels=[rec.threshold], colors="k", linewidths=1.2)
        for X, y, marker in ((rec.X, rec.y, "o"), (rec.X_val or [], rec.y_val or [], "^")):
            if X:
                b.scatter(
                    [p[0] for p in X],
                    [p[1] for p in X],
                    c=["#2166ac" if float(t) > 0 else "#b2182b" for t in y],
                    marker=marker,
                    s=14,
                    edgecolors="white",
                    linewidths=0.4,
                )
        b.set_title(f"decision boundary, step {k}", fontsize=10)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


class LiveView:
    """``fit(..., live=True)``: one Jupyter display, updated in place while training runs.

    ``update(recording, final)`` redraws at most every ``interval`` seconds (and always
    when final), replacing the display's content through its IPython display handle;
    the final update is the full replay with its static PNG. Outside IPython it shows
    nothing. ``display`` can be passed for tests (a callable like ``IPython.display.display``).
    """

    def __init__(self, interval: float = 2.0, display: Any = None) -> None:
        self.interval = interval
        self._display = display
        self._handle: Any = None
        self._last = -math.inf
        self.updates = 0

    def _show(self, bundle: dict[str, Any]) -> None:
        if self._handle is None:
            display = self._display
            if display is None:
                try:
                    from IPython.display import display
                except ImportError:  # plain Python: nothing to show
                    return
            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)
        self.updates += 1

    def update(self, recording: Recording, final: bool) -> None:
        """Show the recording so far (throttled), or the full replay when ``final``."""
        t = now()
        if not final and t - self._last < self.interval:
            return
        self._last = t
        replay = Replay(recording)
        if final:
            bundle = replay._repr_mimebundle_()
        else:
            bundle = {"text/html": replay._fragment(f"{replay._token()}-live", static=False)}
        self._show(bundle)
