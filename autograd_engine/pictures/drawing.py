"""The drawing model: what a drawing of a graph shows, computed once, with no layout.

``draw_dot``'s Graphviz renderer and the backprop player both draw a ``Model``:

- ``Model.nodes``: one ``Node`` per drawn value: a Value (kind ``param``, ``input``,
  ``constant`` or ``value``) or a collapsed group (kind ``group``), with its box
  (``group``), its drawn inputs (``parents``, indices into ``order``) and, after the
  sweep, its gradient d root / d node (``Model.grads``);
- ``Model.edges``: per drawn node, one ``Edge`` per input slot: the gradient the
  arrow carries back (``term = g * d out / d input``, what ``op.vjp`` computes, exactly
  what ``backward()`` adds) and the local derivative it multiplies by (``local``, a
  number, and ``text``, the op row's formula: ``"tanh'(z) = 1 - out^2"``);
- ``Model.example``: with ``collapse=True``, the example of the batch each value belongs
  to (see ``examples``), which is how a neuron group with one output per example
  becomes one card.

Node ids are positions in ``topological_order(root)``, never ``id()``, so the same graph
gives the same model (and byte-identical drawings) in every run.

Groups: nodes whose labels share a dotted prefix (``L0.n1.w0``, ``L0.n1.out``: the prefix
``L0.n1``) form a group; an unlabelled constant used only inside one group belongs to it.
With ``collapse=True`` a group is drawn as ONE node when it has a single output (one node
consumed outside it, or the root), or one output per example of a batch (see
``examples``): for an ``nn.MLP`` the network diagram. This knows nothing of ``nn``.

The network level (the player's default view of a batch loss) is ``network(model)``: a
``Network`` of ``Card``s (one per neuron over every example, one per example's term of the
loss, the loss) holding plain numbers only, so it can also be built without a graph and
drawn by ``playback.network_player``. ``op_model(model, group, e)`` is the op level of one
neuron on example ``e``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from autograd_engine.core.graph import backprop_terms, topological_order
from autograd_engine.core.ops import derivative_text
from autograd_engine.core.value import Value
from autograd_engine.validation import check_sequence

__all__ = [
    "MANY",
    "NONE",
    "Edge",
    "Model",
    "Node",
    "build_model",
    "check_arguments",
    "examples",
    "fmt",
    "plain",
    "Card",
    "Network",
    "card_order",
    "network",
    "op_model",
]

RANKDIRS = ("LR", "RL", "TB", "BT")
DEFAULT_MAX_NODES = 1000

MANY = -1
"""``Model.example`` of a value that depends on several examples (a batch loss, a parameter)."""
NONE = -2
"""``Model.example`` of a value that depends on no example (a constant)."""
_PENALTY = -3  # the network level's key for values computed from parameters only


@dataclass
class Node:
    """One drawn value: a Value, or a collapsed group shown by its output(s).

    ``index`` is the position of ``value`` in topological order (the drawing's id
    ``n<index>``); ``kind`` is ``param``, ``input``, ``constant``, ``value`` or ``group``;
    ``title`` the label (raw text) or the group's name; ``group`` the box it is drawn in;
    ``parents`` the drawn inputs (indices), one per input slot (per outside input for a
    group); a group's ``members`` are its Values and ``outputs`` its outputs (one per
    example of a batch), the first of which is ``value``.
    """

    index: int
    value: Value
    kind: str
    title: str
    group: str | None = None
    parents: list[int] = field(default_factory=list)
    members: list[Value] = field(default_factory=list)
    outputs: list[Value] = field(default_factory=list)


@dataclass
class Edge:
    """The arrow from node ``head`` back to its input ``tail`` (slot ``slot``).

    ``term`` is the gradient it carries, g * d out / d input (a group's edge: the sum of
    what its members pass to that input); ``local`` is d out / d input (None for a group)
    and ``text`` the op row's formula for it (``"the other input, x1"``; "" for a group).
    """

    head: int
    slot: int
    tail: int
    term: float
    local: float | None
    text: str


@dataclass
class Model:
    """What a drawing shows: nodes, groups, edges and gradients (see the module docstring).

    ``grads`` (d root / d node per drawn node; a batch group's is the sum over its
    outputs) and ``edges`` are empty until the backward sweep
    (``build_model(..., gradients=True)``).
    ``value_grads`` is d root / d value for every Value, ``terms[i]`` what node ``i`` of
    ``order`` passes to each of its inputs and ``locals[i]`` its local derivatives;
    ``params`` the values drawn as parameters (``check_arguments``' set).
    """

    nodes: list[Node]
    by_index: dict[int, Node]
    order: list[Value]
    position: dict[Value, int]
    groups: dict[str, list[int]]  # box name -> drawn node indices in it (not collapsed)
    owner: dict[int, int]  # value index -> the node drawing it, for values of collapsed groups
    example: list[int]
    grads: dict[int, float] = field(default_factory=dict)
    edges: dict[int, list[Edge]] = field(default_factory=dict)
    value_grads: dict[Value, float] = field(default_factory=dict)
    terms: list[Sequence[float]] = field(default_factory=list)
    locals: list[Sequence[float]] = field(default_factory=list)
    tags: dict[int, str] = field(default_factory=dict)
    params: set[Value] = field(default_factory=set)

    def name(self, i: int) -> str:
        """How an explanation names drawn node ``i``: its label, its number, or #position.

        On a batch a label drawn once per example is followed by the example,
        ``L0.n2.z [1]`` (``tags``).
        """
        node = self.by_index[i]
        if node.title:
            return plain(node.title) + self.tags.get(i, "")
        if node.kind == "constant":
            return fmt(node.value.data)
        return f"#{node.index}"

    def step_text(self, edge: Edge) -> str:
        """``x <formula> = <number>``: what the sweep multiplies by along ``edge``.

        ``"x tanh'(z) = 1 - out^2 = 0.8758"``, ``"x the other input, x1 = -2"``,
        ``"x 1"`` (the number is left out where the formula is that number).
        """
        if edge.local is None:
            return ""
        number = fmt(edge.local)
        if edge.text == number or edge.text.endswith(f" = {number}"):
            return f"x {edge.text}"
        return f"x {edge.text} = {number}"


def fmt(x: float) -> str:
    """x to 4 significant digits; -0 reads as 0."""
    if x == 0.0 or not math.isfinite(x):
        return "0" if x == 0.0 else repr(x)
    return f"{x:.4g}"


def _visible(c: str) -> str:
    """A character as shown: itself, or its escape if it is invisible or XML cannot hold it."""
    o = ord(c)
    if c in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[c]
    if o < 0x20 or 0x7F <= o <= 0x9F:
        return f"\\x{o:02x}"
    if 0xD800 <= o <= 0xDFFF or o in (0xFFFE, 0xFFFF):
        return f"\\u{o:04x}"
    return c


_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def plain(text: str) -> str:
    """``text`` on one line, every invisible or XML-impossible character as its escape."""
    if text.isprintable():
        return text
    return "".join(_visible(c) for c in text)


def check_arguments(
    root: object,
    rankdir: object,
    params: Iterable[Value] | None,
    max_nodes: int | None,
    caller: str,
    order: list[Value] | None = None,
) -> tuple[list[Value], set[Value]]:
    """Validate a drawing's arguments; return the topological order and the parameters.

    Parameters default to every labelled leaf. ``max_nodes`` (None: no limit) bounds the
    number of values; ``order``, if given, is used instead of ``topological_order(root)``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"{caller}: root must be a Value, got {type(root).__name__} {root!r}")
    if rankdir is not None and rankdir not in RANKDIRS:
        raise ValueError(f"{caller}: rankdir must be one of {RANKDIRS} or None, got {rankdir!r}")
    if max_nodes is not None:
        if not isinstance(max_nodes, int) or isinstance(max_nodes, bool):
            raise TypeError(
                f"{caller}: max_nodes must be a positive int or None, got "
                f"{type(max_nodes).__name__} {max_nodes!r}"
            )
        if max_nodes < 1:
            raise ValueError(
                f"{caller}: max_nodes must be a positive int or None, got {max_nodes!r}"
            )
    highlighted: set[Value] | None = None
    if params is not None:
        if isinstance(params, Value) or not isinstance(params, Iterable):
            raise TypeError(
                f"{caller}: params must be an iterable of Values (e.g. model.parameters()), "
                f"got {type(params).__name__} {params!r}"
            )
        highlighted = set()
        items = check_sequence(caller, "params", params, what="Values", forbid=(Value,))
        for i, p in enumerate(items):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{caller}: params[{i}] must be a Value, got {type(p).__name__} {p!r}"
                )
            highlighted.add(p)
    if order is None:
        order = topological_order(root)
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"{caller}: the graph has {len(order)} values, more than max_nodes={max_nodes}; "
            "Graphviz would be very slow to lay it out. Draw a smaller graph, or pass a "
            "larger max_nodes (or max_nodes=None) to draw it anyway."
        )
    if highlighted is None:
        highlighted = {node for node in order if not node.parents and node.label}
    return order, highlighted


def _kind(node: Value, highlighted: set[Value]) -> str:
    if node.parents:
        return "value"
    if node in highlighted:
        return "param"
    return "input" if node.label else "constant"


def _prefix(label: str) -> str | None:
    """The group of a dotted label: everything before its last dot (None if no dot)."""
    head, dot, tail = label.rpartition(".")
    return head if dot and head and tail else None


def examples(order: Sequence[Value], anchor: Sequence[int]) -> list[int]:
    """The example each value of ``order`` belongs to, given one output per example.

    ``anchor`` holds the positions of the outputs of one group (e.g. the output neuron
    of an MLP, one output per example of the batch), in example order. An ancestor of
    the outputs of one example only belongs to it (its inputs, its hidden units); one
    shared by several (a parameter) is ``MANY``. A value computed from the outputs of
    one example only (its squared error) belongs to it; from several (the batch loss),
    ``MANY``. A value that depends on no example is ``NONE`` unless it feeds one
    example only (the target constant of an example's error). Linear in the graph.
    """
    position = {node: i for i, node in enumerate(order)}
    example = [NONE] * len(order)
    for k, i in enumerate(anchor):
        example[i] = k
    parents = [[position[p] for p in node.parents] for node in order]
    # Ancestors: from consumers to inputs (reverse topological order).
    for i in range(len(order) - 1, -1, -1):
        e = example[i]
        if e == NONE:
            continue
        for p in parents[i]:
            q = example[p]
            example[p] = e if q == NONE else (q if q == e else MANY)
    # Descendants: a value computed from one example's values belongs to it.
    for i in range(len(order)):
        if example[i] != NONE or not parents[i]:
            continue
        seen = NONE
        for p in parents[i]:
            q = example[p]
            if q == NONE:
                continue
            seen = q if seen == NONE else (seen if seen == q else MANY)
        example[i] = seen
    # What is left (a computation on constants only) goes with its consumers.
    consumers: list[list[int]] = [[] for _ in order]
    for i, ps in enumerate(parents):
        for p in ps:
            consumers[p].append(i)
    for i in range(len(order) - 1, -1, -1):
        if example[i] != NONE or not parents[i]:
            continue
        seen = NONE
        for c in consumers[i]:
            q = example[c]
            if q != NONE:
                seen = q if seen == NONE else (seen if seen == q else MANY)
        example[i] = seen
    return example


def build_model(
    root: Value,
    params: Iterable[Value] | None = None,
    collapse: bool = False,
    gradients: bool = True,
    max_nodes: int | None = None,
    caller: str = "build_model",
    rankdir: object = None,
) -> Model:
    """The drawing model of ``root``'s graph (see the module docstring).

    ``params`` (default: every labelled leaf) are kind ``param``; ``collapse`` draws each
    group with a single output, or one output per example, as one node; ``gradients``
    computes gradients (``graph.backprop_terms(root, 1.0)``: what ``backward()`` adds, written
    to no ``.grad``), each edge's term and local derivative. ``max_nodes`` as in
    ``draw_dot``. Arguments are checked as ``draw_dot`` checks them (``rankdir`` too, though
    the model has no layout), naming ``caller``.
    """
    order, highlighted = check_arguments(root, rankdir, params, max_nodes, caller)
    model = _view(order, highlighted, collapse)
    model.params = highlighted
    if gradients:
        _fill_gradients(root, model)
    return model


def _view(order: list[Value], highlighted: set[Value], collapse: bool) -> Model:
    """Decide what is drawn: each value's kind, box and, with ``collapse``, the groups."""
    position = {node: i for i, node in enumerate(order)}
    consumers = _consumers(order, position)
    group_of = _group_of(order, consumers)
    members: dict[str, list[int]] = {}  # group name -> its values' indices
    for i, name in enumerate(group_of):
        if name is not None:
            members.setdefault(name, []).append(i)
    outputs = _group_outputs(order, members, consumers)
    multi = _batch_groups(order, outputs)
    example = _example_of(order, outputs, multi, collapse)
    collapsed = _collapsed_groups(order, members, outputs, example) if collapse else {}
    owner: dict[int, int] = {}  # value index -> the node index drawing it (its group)
    for name, outs in collapsed.items():
        for i in members[name]:
            owner[i] = outs[0]
    nodes = _nodes(order, position, highlighted, group_of, members, collapsed, owner)
    by_index = {item.index: item for item in nodes}
    groups: dict[str, list[int]] = {}
    for item in nodes:
        if item.group is not None:
            groups.setdefault(item.group, []).append(item.index)
    model = Model(nodes, by_index, order, position, groups, owner, example)
    if multi:
        _tag_copies(model)
    return model


def _consumers(order: list[Value], position: dict[Value, int]) -> list[list[int]]:
    """For each value (by index in ``order``), the indices of the values that read it."""
    consumers: list[list[int]] = [[] for _ in order]
    for i, node in enumerate(order):
        for parent in node.parents:
            consumers[position[parent]].append(i)
    return consumers


def _group_of(order: list[Value], consumers: list[list[int]]) -> list[str | None]:
    """Each value's group: its label's dotted prefix, or None."""
    group_of: list[str | None] = [_prefix(node.label) if node.label else None for node in order]
    for i, node in enumerate(order):
        # A constant used only inside one group belongs to it (e.g. an input number
        # copied into each neuron's dot product).
        if not node.parents and not node.label and consumers[i]:
            names = {group_of[c] for c in consumers[i]}
            if len(names) == 1:
                group_of[i] = names.pop()
    return group_of


def _group_outputs(
    order: list[Value], members: dict[str, list[int]], consumers: list[list[int]]
) -> dict[str, list[int]]:
    """Each group's outputs: its values read outside it (or the root)."""
    root = len(order) - 1
    outputs: dict[str, list[int]] = {}
    for name, indices in members.items():
        inside = set(indices)
        # A parameter read inside its neuron and outside it too (by a penalty on the
        # weights) is still the neuron's parameter, not one of its outputs.
        outputs[name] = [
            i
            for i in indices
            if i == root
            or any(c not in inside for c in consumers[i])
            and (order[i].parents or not any(c in inside for c in consumers[i]))
        ]
    return outputs


def _batch_groups(order: list[Value], outputs: dict[str, list[int]]) -> list[str]:
    """The groups of a batch: outputs that are copies of one labelled value (the same
    neuron applied to each example)."""
    return [
        name
        for name, outs in outputs.items()
        if len(outs) > 1
        and len({order[i].label for i in outs}) == 1
        and all(order[i].parents for i in outs)  # computed, as a neuron's output is
    ]


def _example_of(
    order: list[Value], outputs: dict[str, list[int]], multi: list[str], collapse: bool
) -> list[int]:
    """Each value's example (``examples``): on a batch, the outputs of its last group, in
    order, define the examples; collapsed with one example, the last group's output."""
    if multi:
        anchor = max(multi, key=lambda name: outputs[name][-1])
        return examples(order, outputs[anchor])
    if collapse and any(outputs.values()):
        anchor = max((name for name in outputs if outputs[name]), key=lambda n: outputs[n][-1])
        return examples(order, outputs[anchor][-1:])
    return [NONE] * len(order)


def _collapsed_groups(
    order: list[Value],
    members: dict[str, list[int]],
    outputs: dict[str, list[int]],
    example: list[int],
) -> dict[str, list[int]]:
    """The groups drawn as one node: group name -> its outputs (one per example)."""
    collapsed: dict[str, list[int]] = {}
    for name, indices in members.items():
        outs = outputs[name]
        if len(indices) < 2 or not outs:
            continue
        seen = [example[i] for i in outs]
        # One computed output per example; their labels may differ (dropout labels
        # each example's copy of a unit .kept or .dropped, as its mask fell).
        computed = all(order[i].parents for i in outs)
        if len(outs) == 1 or (computed and min(seen) >= 0 and len(set(seen)) == len(seen)):
            collapsed[name] = sorted(outs, key=lambda i: example[i])
    return collapsed


def _nodes(
    order: list[Value],
    position: dict[Value, int],
    highlighted: set[Value],
    group_of: list[str | None],
    members: dict[str, list[int]],
    collapsed: dict[str, list[int]],
    owner: dict[int, int],
) -> list[Node]:
    """One node a value, except a collapsed group: one node, at its first output."""
    first_output = {outs[0] for outs in collapsed.values()}
    nodes: list[Node] = []
    for i, value in enumerate(order):
        name = group_of[i]
        if name in collapsed:
            if i in first_output:
                nodes.append(
                    _group_node(order, position, i, name, members[name], collapsed[name], owner)
                )
        else:
            parents = [owner.get(position[p], position[p]) for p in value.parents]
            nodes.append(Node(i, value, _kind(value, highlighted), value.label, name, parents))
    return nodes


def _group_node(
    order: list[Value],
    position: dict[Value, int],
    i: int,
    name: str,
    members: list[int],
    outs: list[int],
    owner: dict[int, int],
) -> Node:
    """The node of collapsed group ``name`` at its first output ``i``; its parents are the
    drawn nodes of its inputs from outside the group."""
    value = order[i]
    inside = set(members)
    parents: list[int] = []
    for m in members:
        for parent in order[m].parents:
            q = position[parent]
            p = owner.get(q, q)
            if q not in inside and p not in parents:
                parents.append(p)
    # The box's name, and the last part of its output's label where that is not the
    # usual "out" (so a unit that dropout zeroed reads "L0.n1 (dropped)").
    last = value.label.rpartition(".")[2] if value.label.startswith(name + ".") else ""
    title = name if last in ("", "out") or len(outs) > 1 else f"{name} ({last})"
    return Node(
        i,
        value,
        "group",
        title,
        None,
        parents,
        [order[m] for m in members],
        [order[o] for o in outs],
    )


def _tag_copies(model: Model) -> None:
    """On a batch the same label is drawn once per example: its example tells them apart."""
    count: dict[str, int] = {}
    for item in model.nodes:
        if item.kind != "group" and item.title:
            count[item.title] = count.get(item.title, 0) + 1
    for item in model.nodes:
        e = model.example[item.index]
        if item.kind != "group" and count.get(item.title, 0) > 1 and e >= 0:
            model.tags[item.index] = f" [{e}]"


def _fill_gradients(root: Value, model: Model) -> None:
    """Fill ``model``'s gradients, per-value terms and local derivatives, and its edges.

    Gradients, terms and local derivatives come from one sweep,
    ``graph.backprop_terms(root, 1.0)``: exactly what ``backward()`` adds. A value's edge
    to input slot j carries the term the sweep passed along it; a collapsed group's edge to
    an outside input carries the sum of what its members pass to that input.
    """
    # One sweep: the gradients, and each node's terms and local derivatives as it computes them.
    _, value_grads, swept, ones = backprop_terms(root, 1.0)
    model.value_grads = value_grads
    terms: list[Sequence[float]] = [swept.get(node, ()) for node in model.order]
    local: list[Sequence[float]] = [ones.get(node, ()) for node in model.order]
    model.terms, model.locals = terms, local
    position = model.position
    for item in model.nodes:
        i = item.index
        if item.kind == "group":
            model.grads[i] = math.fsum(value_grads[o] for o in item.outputs)
            totals = {p: 0.0 for p in item.parents}
            inside = {position[m] for m in item.members}
            for m in item.members:
                k = position[m]
                for parent, term in zip(m.parents, terms[k], strict=True):
                    q = position[parent]
                    if q not in inside:
                        totals[model.owner.get(q, q)] += term
            model.edges[i] = [
                Edge(i, j, p, totals[p], None, "") for j, p in enumerate(item.parents)
            ]
            continue
        model.grads[i] = value_grads[item.value]
        if item.parents:
            names = [model.name(p) for p in item.parents]
            op = item.value.op
            model.edges[i] = [
                Edge(i, j, p, terms[i][j], local[i][j], derivative_text(op, j, names))
                for j, p in enumerate(item.parents)
            ]


# -- the network level: one card per neuron over a whole batch ---------------------


@dataclass
class Card:
    """One card of the network level: a neuron over every example, an example's term, the loss.

    Plain numbers only, so a network view can be built without a graph (a training
    replay does). ``kind`` is ``neuron``, ``example``, ``penalty`` or ``loss``; ``inputs`` are card
    indices; ``values[e]`` its output on example e (one value for a card of one
    example); ``grads[e]`` d loss / d output on example e, whose sum is the card's
    gradient (``grad``); ``terms[k][e]`` what it passes back to ``inputs[k]`` on example
    e; ``local``/``locals[e]`` the text and per-example number of the local derivative of
    its output op (``"tanh'(z) = 1 - out^2"``); ``params`` (label, value, summed
    gradient) of its parameters. From a graph, ``factors[k][e]`` is what the card
    multiplies its gradient on example e by along the arrow to ``inputs[k]`` (d output /
    d input, summed over the paths inside the card: ``terms[k][e] = grads[e] *
    factors[k][e]``) and ``factor_texts[k]`` that factor composed from the op rows'
    derivative texts along those paths (``"the other input, -0.03 x 1"``); ``chain``
    the local derivatives from a neuron's output down to its weighted sum (innermost
    first: the activation's, then a dropout mask's), each text and per-example numbers.
    """

    label: str
    kind: str
    inputs: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    grads: list[float] = field(default_factory=list)
    terms: list[list[float]] = field(default_factory=list)
    local: str = ""
    locals: list[float] = field(default_factory=list)
    params: list[tuple[str, float, float]] = field(default_factory=list)
    example: int | None = None
    factors: list[list[float]] = field(default_factory=list)
    factor_texts: list[str] = field(default_factory=list)
    chain: list[tuple[str, list[float]]] = field(default_factory=list)

    @property
    def grad(self) -> float:
        """The gradient summed over the examples: sum_e grads[e]."""
        return math.fsum(self.grads)


@dataclass
class Network:
    """The network level of a batch loss: cards, the number of examples, and the step order.

    ``forward`` lists card indices in the order the forward pass completes them (each
    after its inputs); ``backward`` in the order the reverse sweep completes them (all
    of a card's values processed). ``loss`` names the root.
    """

    cards: list[Card]
    examples: int
    forward: list[int]
    backward: list[int]
    loss: str = "loss"


def network(model: Model) -> Network:
    """The network level of a collapsed model and its gradients (``build_model(collapse=True)``).

    Cards: every collapsed group (a neuron: its gradient is the sum of d root / d output
    over the examples), then for each example the values computed from it alone outside
    any group (its term of the loss, shown by the last of them), the values computed
    from parameters and constants only (a ``penalty`` card, e.g. ``l2_penalty``: its
    arrows carry what it adds to the gradients of a neuron's parameters), then the
    values mixing several examples (the loss, shown by the root). Leaves outside groups (inputs,
    constants) get no card.
    """
    order = model.order
    root = len(order) - 1
    n_examples = max(1, max(model.example) + 1)
    built = _Cards(card_of=[None] * len(order))
    _add_neuron_cards(model, built)
    _add_value_cards(model, built)
    cards = built.cards
    top = built.card_of[root]
    if top is not None and cards[top].kind in ("example", "loss"):
        cards[top].kind = "loss"
        cards[top].label = plain(order[root].label) or "loss"
    for k, card in enumerate(cards):
        if card.kind != "neuron":
            card.values = [order[built.shown[k]].data]
            card.grads = [model.value_grads[order[built.shown[k]]]]
    flows = _flows(model, built, n_examples)
    for k, card in enumerate(cards):
        card.inputs = sorted(flows[k])
        card.terms = [flows[k][d] for d in card.inputs]
        tops = built.outputs_of[k] if card.kind == "neuron" else [built.shown[k]]
        _card_factors(model, card, k, built.members[k], tops, built.card_of, cards, n_examples)
    forward = card_order([card.inputs for card in cards])
    backward = _sweep_order(built, top, len(order))
    return Network(cards, n_examples, forward, backward, plain(order[root].label) or "loss")


@dataclass
class _Cards:
    """The network level's cards as they are built: per card the indices of its values
    (``members``), the value it shows (``shown``) and a neuron's outputs (``outputs_of``);
    ``card_of[i]`` the card of value ``i`` (None: no card)."""

    card_of: list[int | None]
    cards: list[Card] = field(default_factory=list)
    members: list[list[int]] = field(default_factory=list)
    shown: list[int] = field(default_factory=list)
    outputs_of: dict[int, list[int]] = field(default_factory=dict)


def _add_neuron_cards(model: Model, built: _Cards) -> None:
    """A card for every collapsed group: a neuron over every example."""
    order, position = model.order, model.position
    for node in model.nodes:
        if node.kind != "group":
            continue
        k = len(built.cards)
        outs = [position[o] for o in node.outputs]
        out = order[outs[0]]
        local_text = ""
        if out.parents:
            names = [plain(p.label) if p.label else fmt(p.data) for p in out.parents]
            local_text = derivative_text(out.op, 0, names)
        built.cards.append(
            Card(
                plain(node.title),
                "neuron",
                values=[order[o].data for o in outs],
                grads=[model.value_grads[order[o]] for o in outs],
                local=local_text,
                locals=[model.locals[o][0] if model.locals[o] else 1.0 for o in outs],
                params=[
                    (plain(m.label), m.data, model.value_grads[m])
                    for m in node.members
                    if not m.parents and m.label
                ],
            )
        )
        idx = [position[m] for m in node.members]
        built.outputs_of[len(built.cards) - 1] = outs
        built.members.append(idx)
        built.shown.append(outs[0])
        for i in idx:
            built.card_of[i] = k


def _penalty_values(model: Model, card_of: list[int | None]) -> list[bool]:
    """Which values outside the neurons make up a penalty: computed from parameters
    (leaves) and constants only, e.g. l2_penalty(m.parameters()); it is one card, whose
    arrows go to the parameters."""
    order, position, example = model.order, model.position, model.example
    penalty = [False] * len(order)
    for i, value in enumerate(order):
        if card_of[i] is None and value.parents:
            qs = [position[p] for p in value.parents]
            penalty[i] = all(
                penalty[q] or not order[q].parents and (card_of[q] is not None or example[q] < 0)
                for q in qs
            ) and any(penalty[q] or card_of[q] is not None for q in qs)
    return penalty


def _add_value_cards(model: Model, built: _Cards) -> None:
    """The cards of the computed values outside the neurons: one per example (its term
    of the loss), one for a penalty, one for the values mixing several examples."""
    order, example = model.order, model.example
    penalty = _penalty_values(model, built.card_of)
    per_example: dict[int, int] = {}
    for i, value in enumerate(order):
        if built.card_of[i] is not None or not value.parents:
            continue
        e = _PENALTY if penalty[i] and i != len(order) - 1 else example[i]
        e = e if e >= 0 or e == _PENALTY else MANY
        if e not in per_example:
            per_example[e] = len(built.cards)
            label = {MANY: "loss", _PENALTY: "penalty"}.get(e, f"example {e}")
            kind = {MANY: "loss", _PENALTY: "penalty"}.get(e, "example")
            built.cards.append(Card(label, kind, example=None if e < 0 else e))
            built.members.append([])
            built.shown.append(i)
        k = per_example[e]
        built.card_of[i] = k
        built.members[k].append(i)
        built.shown[k] = i  # the last one (highest position) is the card's value


def _flows(model: Model, built: _Cards, n_examples: int) -> list[dict[int, list[float]]]:
    """Arrows between cards and what flows back along them, per example:
    ``flows[card][input card][e]``."""
    order, position, example = model.order, model.position, model.example
    card_of = built.card_of
    flows: list[dict[int, list[float]]] = [{} for _ in built.cards]
    for i, value in enumerate(order):
        c = card_of[i]
        if c is None or not value.parents:
            continue
        e = max(example[i], 0)
        for j, parent in enumerate(value.parents):
            d = card_of[position[parent]]
            if d is None or d == c:
                continue
            row = flows[c].setdefault(d, [0.0] * n_examples)
            row[e] += model.terms[i][j]
    return flows


def _sweep_order(built: _Cards, top: int | None, n_values: int) -> list[int]:
    """The cards in the order the reverse sweep completes them."""
    # A neuron is complete when the sweep has processed its outputs (its gradient is then
    # final); another card when it has processed all its values.
    done = {k: min(built.members[k]) for k in range(len(built.cards))}
    for k in range(len(built.cards)):
        if built.cards[k].kind == "neuron":
            done[k] = min(built.outputs_of[k])
    if top is not None:  # the sweep starts at the root (before a penalty added to it)
        done[top] = n_values
    return sorted(range(len(built.cards)), key=lambda k: -done[k])


_PATHS = 3  # paths of a factor's formula written out before "+ ... (k more)"


def _card_factors(
    model: Model,
    card: Card,
    k: int,
    members: list[int],
    tops: list[int],
    card_of: list[int | None],
    cards: list[Card],
    n_examples: int,
) -> None:
    """Fill ``card.factors``, ``factor_texts`` and ``chain`` (see ``Card``) from the sweep's
    local derivatives (``model.locals``) and the op rows' derivative texts."""
    order, position, example = model.order, model.position, model.example
    inside = set(members)
    column = {d: j for j, d in enumerate(card.inputs)}
    card.factors = [[0.0] * n_examples for _ in card.inputs]
    many = len(tops) > 1  # a neuron over several examples: its numbers differ per example

    def name(q: int) -> str:
        d = card_of[q]
        value = order[q]
        if d is not None and d != k and value.parents:  # another card's output
            return cards[d].label
        if value.label:
            return plain(value.label)
        return "c" if many else fmt(value.data)

    # d top / d value for every value inside, seeded at each top (one per example; the
    # examples' values are disjoint, so one pass serves all).
    coef = dict.fromkeys(tops, 1.0)
    # The formula: the paths from the first top, each a list of derivative texts.
    paths: dict[int, list[list[str]]] = {tops[0]: [[]]}
    extra: dict[int, int] = {}
    texts: list[list[list[str]]] = [[] for _ in card.inputs]
    more = [0] * len(card.inputs)
    for i in sorted(inside, reverse=True):
        c = coef.get(i)
        if c is None or not order[i].parents:
            continue
        value = order[i]
        names = [name(position[p]) for p in value.parents]
        mine = paths.get(i)
        for j, parent in enumerate(value.parents):
            q = position[parent]
            local = model.locals[i][j]
            d = card_of[q]
            outside = q not in inside
            if outside and (d is None or d not in column):
                continue
            if not outside:
                coef[q] = coef.get(q, 0.0) + c * local
            else:
                assert d is not None
                card.factors[column[d]][max(example[i], 0)] += c * local
            if mine is None:
                continue
            text = derivative_text(value.op, j, names)
            if not many and text != "1":
                number = fmt(local)
                if text != number and not text.endswith((f" = {number}", f", {number}")):
                    text = f"{text} = {number}"
            grown = [path + [text] for path in mine]
            if outside:
                assert d is not None
                room = _PATHS - len(texts[column[d]])
                texts[column[d]] += grown[: max(room, 0)]
                more[column[d]] += max(len(grown) - max(room, 0), 0) + extra.get(i, 0)
            else:
                target = paths.setdefault(q, [])
                room = _PATHS - len(target)
                target += grown[: max(room, 0)]
                extra[q] = extra.get(q, 0) + max(len(grown) - max(room, 0), 0) + extra.get(i, 0)
    card.factor_texts = [_formula(ps, m) for ps, m in zip(texts, more, strict=True)]
    if card.kind == "neuron":
        card.chain = _chain(model, tops, inside, name)


def _formula(paths: list[list[str]], more: int) -> str:
    """Paths of derivative texts as one formula: products joined by " x ", summed by " + "
    (a factor of 1 left out)."""
    shown = []
    for path in paths:
        factors = [t for t in path if t != "1"] or ["1"]
        product = " x ".join(factors)
        shown.append(f"({product})" if len(paths) > 1 or more else product)
    text = " + ".join(shown) or "1"
    return text + (f" + ... ({more} more)" if more else "")


def _chain(
    model: Model, tops: list[int], inside: set[int], name: Callable[[int], str]
) -> list[tuple[str, list[float]]]:
    """The one-input ops from a neuron's output down to its weighted sum, innermost first."""
    order, position = model.order, model.position
    steps: list[tuple[str, list[float]]] = []
    current = list(tops)
    while True:
        value = order[current[0]]
        slots = [
            j
            for j, p in enumerate(value.parents)
            if p.parents and position[p] in inside  # a computed input inside the card
        ]
        if len(slots) != 1:
            break
        j = slots[0]
        others = [p for q, p in enumerate(value.parents) if q != j]
        if any(p.parents or p.label for p in others):  # z = w.x + b: the weighted sum
            break
        names = [name(position[p]) for p in value.parents]
        steps.append((derivative_text(value.op, j, names), [model.locals[i][j] for i in current]))
        nxt = [position[order[i].parents[j]] for i in current]
        if any(len(order[i].parents) != len(value.parents) for i in current):
            break
        current = nxt
    steps.reverse()
    return steps


def card_order(inputs: Sequence[Sequence[int]]) -> list[int]:
    """Cards in topological order (each after its inputs), ties by index; ``inputs[k]``
    are card k's input cards. Index order if the inputs make a cycle."""
    consumers: list[list[int]] = [[] for _ in inputs]
    waiting = [len(card) for card in inputs]
    for k, card in enumerate(inputs):
        for d in card:
            consumers[d].append(k)
    ready = [k for k, w in enumerate(waiting) if w == 0]
    out: list[int] = []
    while ready:
        ready.sort(reverse=True)
        k = ready.pop()
        out.append(k)
        for c in consumers[k]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    if len(out) < len(inputs):  # a cycle between groups: fall back to index order
        return list(range(len(inputs)))
    return out


def op_model(model: Model, card: Node, e: int, highlighted: set[Value]) -> Model:
    """The op level of one collapsed group ``card`` on example ``e``: its values for that
    example, its parameters, and the values it reads from outside (drawn as leaves).

    Node indices stay positions in the whole graph; gradients, terms and local
    derivatives are the whole sweep's (a parameter's is summed over every example).
    """
    position, example = model.position, model.example
    inside = [position[m] for m in card.members]
    keep = {
        i for i in inside if example[i] == e or not model.order[i].parents and example[i] < 0
    } or set(inside)
    boundary: set[int] = set()
    for i in keep:
        for p in model.order[i].parents:
            q = position[p]
            if q not in keep:
                boundary.add(q)
    order_idx = sorted(keep | boundary)
    nodes: list[Node] = []
    for i in order_idx:
        value = model.order[i]
        if i in boundary:
            nodes.append(Node(i, value, "input", value.label or ""))
            continue
        kind = _kind(value, highlighted)
        nodes.append(Node(i, value, kind, value.label, None, [position[p] for p in value.parents]))
    sub = Model(
        nodes,
        {node.index: node for node in nodes},
        model.order,
        position,
        {},
        {},
        example,
        {node.index: model.value_grads[node.value] for node in nodes},
        {},
        model.value_grads,
        model.terms,
        model.locals,
    )
    for node in nodes:
        if node.parents:
            names = [sub.name(p) for p in node.parents]
            i = node.index
            sub.edges[i] = [
                Edge(
                    i,
                    j,
                    p,
                    model.terms[i][j],
                    model.locals[i][j],
                    derivative_text(node.value.op, j, names),
                )
                for j, p in enumerate(node.parents)
            ]
    return sub
