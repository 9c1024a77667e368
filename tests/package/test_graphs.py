"""The graph modules of the Computation Graphs chapter.

``d2l_prep.graph_types`` holds the graph as data, ``d2l_prep.graphs`` traces it,
``d2l_prep.graph_record`` records a backward pass, ``d2l_prep.graph_layout``
places the nodes, ``d2l_prep.graph_plan`` plans the drawing in points and
``d2l_prep.graph_draw`` draws it.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import math
import typing
from collections import Counter

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path

import d2l_prep as d2l
from d2l_prep.graph_draw import MAX_DRAWN_NODES, draw_graph
from d2l_prep.graph_layout import GraphLayout, layout_graph
from d2l_prep.graph_plan import MIN_ARROW, _plan
from d2l_prep.graph_record import record_backward
from d2l_prep.graph_types import ComputationGraph, GraphNode, NodeKind
from d2l_prep.graphs import trace_graph


def chain() -> dict[str, torch.Tensor]:
    """The chapter's chain x -> y -> z: y = x**2, z = 2y + 3 at x = 3.5."""
    x = torch.tensor(3.5, requires_grad=True)
    y = x**2
    z = 2 * y + 3
    return {"x": x, "y": y, "z": z}


def two_paths() -> dict[str, torch.Tensor]:
    """The chapter's graph with two paths from each leaf, at a = 2, b = 1."""
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    x = 2 * a + 3 * b
    y = 5 * a**2 + 3 * b**3
    z = 2 * x + 3 * y
    return {"a": a, "b": b, "x": x, "y": y, "z": z}


def labelled_edges(graph: ComputationGraph) -> list[tuple[str, str]]:
    label = {node.key: node.label for node in graph.nodes}
    return [(label[source], label[target]) for source, target in graph.edges]


def by_label(graph: ComputationGraph) -> dict[str, GraphNode]:
    """Tensor nodes by name (operation labels repeat, tensor names do not)."""
    return {node.label: node for node in graph.nodes if node.kind != "op"}


def count_paths(graph: ComputationGraph, source: str, target: str) -> int:
    succs: dict[str, list[str]] = {node.key: [] for node in graph.nodes}
    for a, b in graph.edges:
        succs[a].append(b)

    def paths(key: str) -> int:
        return 1 if key == target else sum(paths(s) for s in succs[key])

    return paths(source)


def texts_of(ax: Axes) -> list[str]:
    return [text.get_text() for text in ax.texts]


# trace_graph ---------------------------------------------------------------


def test_trace_of_the_chain_has_its_leaf_ops_and_edges() -> None:
    t = chain()
    graph = trace_graph(t["z"], t)
    kinds = [(node.kind, node.label, node.value) for node in graph.nodes]
    assert kinds[0] == ("root", "z", 27.5), "the walk starts at the root"
    assert sorted(kinds, key=str) == sorted(
        [
            ("root", "z", 27.5),
            ("op", "Add", None),
            ("op", "Mul", None),
            ("op", "Pow", None),
            ("tensor", "y", 12.25),
            ("leaf", "x", 3.5),
        ],
        key=str,
    )
    assert sorted(labelled_edges(graph)) == sorted(
        [("x", "Pow"), ("Pow", "y"), ("y", "Mul"), ("Mul", "Add"), ("Add", "z")]
    )


def test_trace_of_two_paths_finds_both_paths_from_each_leaf() -> None:
    t = two_paths()
    graph = trace_graph(t["z"], t)
    ops = Counter(node.label for node in graph.nodes if node.kind == "op")
    # 2a, 3b, 5 * a**2, 3 * b**3, 2x, 3y; two adds for x and y, one for z.
    assert ops == Counter({"Mul": 6, "Add": 3, "Pow": 2})
    nodes = by_label(graph)
    assert {n: (nodes[n].kind, nodes[n].value) for n in "abxyz"} == {
        "a": ("leaf", 2.0),
        "b": ("leaf", 1.0),
        "x": ("tensor", 7.0),
        "y": ("tensor", 23.0),
        "z": ("root", 83.0),
    }
    root = nodes["z"].key
    assert count_paths(graph, nodes["a"].key, root) == 2
    assert count_paths(graph, nodes["b"].key, root) == 2
    assert count_paths(graph, nodes["x"].key, root) == 1
    # a feeds 2 * a directly and 5 * a**2 through Pow.
    assert sorted(t for s, t in labelled_edges(graph) if s == "a") == ["Mul", "Pow"]
    assert len(graph.edges) == len(set(graph.edges))


def test_constants_have_no_node() -> None:
    t = chain()
    graph = trace_graph(t["z"])
    # 2 * y + 3: the constants 2 and 3 do not require grad.
    assert len(graph.nodes) == 5
    assert all(node.kind in ("root", "op", "leaf") for node in graph.nodes)


def test_unnamed_tensors_get_default_labels() -> None:
    t = chain()
    graph = trace_graph(t["z"])
    assert [(n.kind, n.label) for n in graph.nodes if n.kind != "op"] == [
        ("root", "root"),
        ("leaf", "leaf"),
    ]


def test_names_are_matched_by_identity_not_value() -> None:
    t = chain()
    twin = torch.tensor(3.5, requires_grad=True)  # same value, other tensor
    with pytest.raises(ValueError, match=r"names\['twin'\] is not in the graph"):
        trace_graph(t["z"], {"x": t["x"], "twin": twin})


def test_gradients_are_read_from_leaves_and_retained_tensors_only() -> None:
    t = two_paths()
    before = trace_graph(t["z"], t)
    assert all(node.grad is None for node in before.nodes)
    t["z"].backward()
    after = by_label(trace_graph(t["z"], t))
    assert (after["a"].grad, after["b"].grad) == (64.0, 33.0)
    assert after["x"].grad is None and after["y"].grad is None

    t = chain()
    t["y"].retain_grad()
    t["z"].backward()
    nodes = by_label(trace_graph(t["z"], t))
    assert (nodes["x"].grad, nodes["y"].grad) == (14.0, 2.0)


def test_non_scalar_tensors_show_their_shape() -> None:
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    y.backward()
    nodes = by_label(trace_graph(y, {"x": x, "y": y}))
    assert nodes["x"].value == (4,)
    assert nodes["x"].grad == (4,)
    assert nodes["y"].value == 28.0


def test_intermediate_of_a_multi_output_op_is_matched_by_output_number() -> None:
    v = torch.arange(3.0, requires_grad=True)
    p, q, r = v.unbind()
    s = p * q + r
    graph = trace_graph(s, {"v": v, "q": q, "s": s})
    assert sorted(labelled_edges(graph)) == sorted(
        [("v", "Unbind"), ("Unbind", "q"), ("Unbind", "Mul"), ("q", "Mul")]
        + [("Unbind", "Add"), ("Mul", "Add"), ("Add", "s")]
    )


def test_deep_graphs_are_traced_without_recursion() -> None:
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    graph = trace_graph(y)
    assert len(graph.nodes) == 3002


def test_trace_rejects_a_root_that_is_not_a_tensor() -> None:
    with pytest.raises(TypeError, match="root must be a torch.Tensor, got float"):
        trace_graph(3.5)  # type: ignore[arg-type]


def test_trace_rejects_a_root_without_grad_fn() -> None:
    with pytest.raises(ValueError, match="root does not require grad"):
        trace_graph(torch.tensor(2.0) * 3)
    with pytest.raises(ValueError, match="root is a leaf"):
        trace_graph(torch.tensor(2.0, requires_grad=True))


def test_trace_rejects_bad_names() -> None:
    t = chain()
    with pytest.raises(TypeError, match="names must be a dict .* got list"):
        trace_graph(t["z"], [t["x"]])  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"names\['x'\] must be a torch.Tensor, got float"
    ):
        trace_graph(t["z"], {"x": 3.5})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="str keys"):
        trace_graph(t["z"], {1: t["x"]})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="same tensor"):
        trace_graph(t["z"], {"x": t["x"], "u": t["x"]})


# draw_graph ----------------------------------------------------------------


def test_draw_graph_returns_axes_with_a_label_for_every_node() -> None:
    t = two_paths()
    ax = draw_graph(t["z"], t)
    assert isinstance(ax, Axes)
    graph = trace_graph(t["z"], t)
    labels = texts_of(ax)
    assert len(labels) == len(graph.nodes)
    assert Counter(labels) == Counter(
        {"a = 2.0": 1, "b = 1.0": 1, "x = 7.0": 1, "y = 23.0": 1, "z = 83.0": 1}
        | {"Mul\n×2": 2, "Mul\n×3": 3, "Mul\n×5": 1, "Add": 3}
        | {"Pow\n**2": 1, "Pow\n**3": 1}
    )
    # One arrow per edge segment; no gradients, no legend.
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) >= len(graph.edges)
    assert ax.get_legend() is None


def test_draw_graph_lays_leaves_left_and_root_right() -> None:
    t = chain()
    ax = draw_graph(t["z"], t)
    x = {text.get_text(): text.get_position()[0] for text in ax.texts}
    order = sorted(x, key=x.__getitem__)
    assert order == ["x = 3.5", "Pow\n**2", "y = 12.25", "Mul\n×2", "Add", "z = 27.5"]


def test_show_grad_labels_the_gradients_and_draws_backward_arrows() -> None:
    t = two_paths()
    t["z"].backward()
    forward = draw_graph(t["z"], t)
    ax = draw_graph(t["z"], t, show_grad=True)
    labels = texts_of(ax)
    assert "a.grad = 64.0" in labels and "b.grad = 33.0" in labels
    assert not any(label.startswith(("x.grad", "y.grad")) for label in labels)

    def arrows(axes: Axes) -> int:
        return sum(isinstance(p, FancyArrowPatch) for p in axes.patches)

    assert arrows(ax) == 2 * arrows(forward)
    dashed = [
        p
        for p in ax.patches
        if isinstance(p, FancyArrowPatch) and p.get_linestyle() != "-"
    ]
    assert len(dashed) == arrows(forward)
    assert ax.get_legend() is not None


def test_show_grad_labels_retained_gradients_of_intermediates() -> None:
    t = chain()
    t["y"].retain_grad()
    t["z"].backward()
    labels = texts_of(draw_graph(t["z"], t, show_grad=True))
    assert "x.grad = 14.0" in labels and "y.grad = 2.0" in labels


def test_show_grad_before_backward_is_an_error() -> None:
    t = two_paths()
    with pytest.raises(ValueError, match=r"show_grad=True.*'a'.*backward\(\)"):
        draw_graph(t["z"], t, show_grad=True)


def test_draw_graph_draws_on_the_given_axes() -> None:
    t = chain()
    _, ax = plt.subplots(figsize=(6, 3.5))
    assert draw_graph(t["z"], t, axes=ax) is ax
    assert len(plt.get_fignums()) == 1


def test_default_figure_size_grows_with_the_graph() -> None:
    small = draw_graph(chain()["z"]).figure.get_size_inches()
    t = two_paths()
    large = draw_graph(t["z"], t).figure.get_size_inches()
    assert large[0] > small[0] and large[1] > small[1]
    given = draw_graph(t["z"], figsize=(6, 3.5)).figure.get_size_inches()
    assert tuple(given) == (6, 3.5)


def test_draw_graph_is_deterministic() -> None:
    def svg() -> bytes:
        t = two_paths()
        t["z"].backward()
        buffer = io.BytesIO()
        with matplotlib.rc_context({"svg.hashsalt": "test", "svg.fonttype": "path"}):
            draw_graph(t["z"], t, show_grad=True).figure.savefig(
                buffer, format="svg", metadata={"Date": None}
            )
        plt.close("all")
        return buffer.getvalue()

    assert svg() == svg()


def test_draw_graph_shows_shapes_of_non_scalars() -> None:
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    y.backward()
    labels = texts_of(draw_graph(y, {"x": x, "y": y}, show_grad=True))
    assert "x\nshape (4,)" in labels and "x.grad\nshape (4,)" in labels


def test_draw_graph_rejects_bad_arguments() -> None:
    t = chain()
    with pytest.raises(TypeError, match="root must be a torch.Tensor, got int"):
        draw_graph(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="root does not require grad"):
        draw_graph(torch.ones(3).sum())
    with pytest.raises(TypeError, match="show_grad must be True or False, got 'yes'"):
        draw_graph(t["z"], show_grad="yes")  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match="axes must be a matplotlib Axes or None, got Figure"
    ):
        draw_graph(t["z"], axes=plt.figure())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="figsize must be a pair of numbers"):
        draw_graph(t["z"], figsize=(6,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"figsize\[1\] must be finite and > 0, got 0"):
        draw_graph(t["z"], figsize=(6, 0))


def test_figsize_is_checked_like_plotting_does() -> None:
    # One check for every helper: a NumPy scalar is a number here too.
    ax = draw_graph(chain()["z"], figsize=(np.float32(4.0), 2))
    assert tuple(ax.figure.get_size_inches()) == (4.0, 2.0)


def test_node_kinds_are_a_literal_and_readings_are_numbers_or_shapes() -> None:
    assert typing.get_args(NodeKind) == ("root", "op", "tensor", "leaf")
    t = chain()
    nodes = by_label(trace_graph(t["z"], t))
    assert isinstance(nodes["z"].value, float)
    # Formatted only when drawn.
    assert "z = 27.5" in texts_of(draw_graph(t["z"], t))


def test_package_exports_the_graph_helpers() -> None:
    assert d2l.trace_graph is trace_graph and d2l.draw_graph is draw_graph
    assert d2l.ComputationGraph is ComputationGraph and d2l.GraphNode is GraphNode
    assert d2l.layout_graph is layout_graph and d2l.record_backward is record_backward


# record_backward ---------------------------------------------------------------


def flows_by_label(graph: ComputationGraph) -> dict[tuple[str, str], object]:
    return dict(zip(labelled_edges(graph), graph.flows, strict=True))


def test_record_keeps_what_each_edge_carried_back() -> None:
    t = two_paths()
    with record_backward(t["z"]) as record:
        t["z"].backward()
    graph = trace_graph(t["z"], t, record=record)
    flows = flows_by_label(graph)
    # The chapter's 4 + 60 = 64 and 6 + 27 = 33, edge by edge.
    assert flows["a", "Mul"] == 4.0 and flows["a", "Pow"] == 60.0
    assert flows["b", "Mul"] == 6.0 and flows["b", "Pow"] == 27.0
    assert flows["Add", "z"] == 1.0 and flows["x", "Mul"] == 2.0
    nodes = by_label(graph)
    for leaf in "ab":
        into = [f for (s, _), f in flows.items() if s == leaf]
        assert sum(into) == nodes[leaf].grad  # type: ignore[arg-type]


def test_an_edge_used_twice_carries_the_sum() -> None:
    x = torch.tensor(3.0, requires_grad=True)
    y = x * x
    with record_backward(y) as record:
        y.backward()
    graph = trace_graph(y, {"x": x, "y": y}, record=record)
    assert flows_by_label(graph)["x", "Mul"] == 6.0 == x.grad


def test_without_a_record_no_edge_has_a_flow() -> None:
    t = chain()
    t["z"].backward()
    assert set(trace_graph(t["z"], t).flows) == {None}


def test_record_backward_removes_its_hooks() -> None:
    t = chain()
    with record_backward(t["z"]) as record:
        t["z"].backward(retain_graph=True)
    before = trace_graph(t["z"], t, record=record).flows
    t["z"].backward(torch.tensor(10.0))  # not recorded: the hooks are gone
    assert trace_graph(t["z"], t, record=record).flows == before


def test_record_and_trace_reject_bad_arguments() -> None:
    with pytest.raises(TypeError, match="root must be a torch.Tensor"):
        with record_backward(2.0):  # type: ignore[arg-type]
            pass
    t = chain()
    with pytest.raises(TypeError, match="record must be a BackwardRecord"):
        trace_graph(t["z"], record={})  # type: ignore[arg-type]


def test_draw_graph_labels_backward_edges_with_their_gradients() -> None:
    t = two_paths()
    with record_backward(t["z"]) as record:
        t["z"].backward()
    labels = Counter(texts_of(draw_graph(t["z"], t, show_grad=True, record=record)))
    for flow in ("4.0", "60.0", "6.0", "27.0"):
        assert labels[flow] == 1
    assert labels["a.grad = 64.0"] == 1


def test_a_record_needs_show_grad_and_a_recorded_backward() -> None:
    t = chain()
    with record_backward(t["z"]) as record:
        pass  # backward did not run inside the block
    t["z"].backward()
    with pytest.raises(ValueError, match="record holds no gradient of this graph"):
        draw_graph(t["z"], t, show_grad=True, record=record)
    with pytest.raises(ValueError, match="pass show_grad=True"):
        draw_graph(t["z"], t, record=record)


# layout_graph --------------------------------------------------------------


def fan(n: int) -> torch.Tensor:
    """One leaf feeding n multiplications (2n + 2 nodes): the bench's case."""
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for i in range(n):
        y = y + x * i
    return y


def test_layout_is_a_frozen_record_of_positions() -> None:
    t = two_paths()
    graph = trace_graph(t["z"], t)
    layout = layout_graph(graph, {node.key: 30.0 for node in graph.nodes})
    assert isinstance(layout, GraphLayout)
    assert len(layout.centers) == len(graph.nodes)
    assert len(layout.routes) == len(graph.edges)
    with pytest.raises(dataclasses.FrozenInstanceError):
        layout.width = 0.0  # type: ignore[misc]
    for (source, target), route in zip(graph.edges, layout.routes, strict=True):
        keys = [node.key for node in graph.nodes]
        assert route[0] == layout.centers[keys.index(source)]
        assert route[-1] == layout.centers[keys.index(target)]
        xs = [x for x, _ in route]
        assert xs == sorted(xs), "every edge runs from left to right"
    for x, y in layout.centers:
        assert 0 <= x <= layout.width and 0 <= y <= layout.height


def test_edges_from_one_node_share_their_waypoints() -> None:
    # The leaf feeds every Mul; one waypoint per column, not one per edge
    # and column, keeps the layout linear in the size of the graph.
    graph = trace_graph(fan(60))
    layout = layout_graph(graph, {node.key: 30.0 for node in graph.nodes})
    points = {point for route in layout.routes for point in route}
    assert len(points) <= 2 * len(graph.nodes)
    # A few rows (row = 50 points) for an Add, a Mul and the bus: not a
    # triangle of 60 parallel edges.
    assert layout.height <= 5 * 50.0


def test_layout_rejects_bad_arguments() -> None:
    graph = trace_graph(chain()["z"])
    widths = {node.key: 30.0 for node in graph.nodes}
    with pytest.raises(TypeError, match="graph must be a ComputationGraph"):
        layout_graph("graph", widths)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="widths has no width for the node 'n0'"):
        layout_graph(graph, {})
    with pytest.raises(
        ValueError, match=r"widths\['n0'\] must be finite and > 0, got -1.0"
    ):
        layout_graph(graph, widths | {"n0": -1.0})
    with pytest.raises(
        TypeError, match="gap must be a real number, got 'wide' \\(str\\)"
    ):
        layout_graph(graph, widths, gap="wide")  # type: ignore[arg-type]


def test_too_big_a_graph_is_refused_with_its_size() -> None:
    root = fan(MAX_DRAWN_NODES // 2)  # 2n + 2 nodes: just over the limit
    with pytest.raises(ValueError, match=rf"has {MAX_DRAWN_NODES + 2} nodes.*at most"):
        draw_graph(root)
    assert len(trace_graph(root).nodes) == MAX_DRAWN_NODES + 2


# What the graph records refuse (issue 19) -----------------------------------


def node(key: str, kind: str = "op") -> GraphNode:
    return GraphNode(key, kind, key)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("nodes", "edges", "message"),
    [
        ((), (), "nodes is empty"),
        ((node("a"), node("a")), (), "two nodes have the key 'a'"),
        ((node("a"),), (("a", "q"),), r"names 'q', which is no node"),
        ((node("a"),), (("a", "a"),), "cycle through the node 'a'"),
        (
            (node("a"), node("b"), node("c")),
            (("a", "b"), ("b", "c"), ("c", "b")),
            "cycle through the node '[bc]'",
        ),
        ((node("a"), node("l", "leaf")), (("a", "l"),), "enters a leaf"),
        ((node("r", "root"), node("a")), (("r", "a"),), "leaves the root"),
        ((node("a"), node("b")), (("a", "b"), ("a", "b")), "listed twice"),
    ],
)
def test_a_graph_that_autograd_cannot_record_is_refused(
    nodes: tuple[GraphNode, ...], edges: tuple[tuple[str, str], ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ComputationGraph(nodes, edges)


def test_graph_records_check_their_fields() -> None:
    with pytest.raises(ValueError, match="kind must be one of .* got 'blob'"):
        GraphNode("n0", "blob", "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="label must be a str, got 3"):
        GraphNode("n0", "op", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="value must be a number, a shape or None"):
        GraphNode("n0", "leaf", "x", value=torch.tensor(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="nodes must be a tuple, got \\["):
        ComputationGraph([node("a")], ())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="nodes must hold GraphNode"):
        ComputationGraph(("a",), ())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="an edge must be a \\(source, target\\)"):
        ComputationGraph((node("a"),), ("a",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one entry per edge \\(1\\) or none, got 2"):
        ComputationGraph((node("a"), node("b")), (("a", "b"),), (1.0, 2.0))


_KINDS = st.sampled_from(["root", "op", "tensor", "leaf", "blob", 3])
_KEYS = st.sampled_from([f"n{i}" for i in range(8)] + [7])


@st.composite
def graph_parts(draw: st.DrawFn) -> tuple[object, object]:
    keys = draw(st.lists(_KEYS, max_size=8))
    nodes = tuple(
        (key, draw(_KINDS), draw(st.sampled_from(["Mul", "x", 4]))) for key in keys
    )
    edges = draw(st.lists(st.tuples(_KEYS, _KEYS), max_size=14))
    return nodes, tuple(edges)


def made(nodes: object, edges: object) -> ComputationGraph | None:
    """The graph, or None if it was refused with TypeError / ValueError."""
    try:
        parts = tuple(GraphNode(*n) for n in nodes)  # type: ignore[attr-defined]
        return ComputationGraph(parts, edges)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@settings(max_examples=300, deadline=2000)
@given(graph_parts())
def test_any_graph_is_refused_or_laid_out_and_planned(parts: tuple) -> None:
    graph = made(*parts)
    if graph is None:
        return
    layout = layout_graph(graph, {n.key: 30.0 for n in graph.nodes})
    for route in layout.routes:
        xs = [x for x, _ in route]
        assert xs == sorted(xs) and len(set(route)) == len(route)
    plan = _plan(graph, show_grad=False)
    assert len(plan.boxes) == len(graph.nodes)


@settings(max_examples=100, deadline=2000)
@given(
    widths=st.one_of(
        st.dictionaries(_KEYS, st.one_of(st.floats(), st.integers(), st.text())),
        st.none(),
        st.lists(st.floats()),
    ),
    gap=st.one_of(st.floats(), st.integers(-5, 5), st.booleans(), st.text()),
    row=st.one_of(st.floats(), st.integers(-5, 5), st.none()),
)
def test_layout_returns_or_refuses_any_arguments(
    widths: object, gap: object, row: object
) -> None:
    graph = trace_graph(chain()["z"])
    try:
        layout = layout_graph(graph, widths, gap=gap, row=row)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return
    assert all(math.isfinite(v) for xy in layout.centers for v in xy)


def test_constants_of_operations_survive_backward_in_a_record() -> None:
    t = chain()
    before = [n.detail for n in trace_graph(t["z"]).nodes if n.kind == "op"]
    with record_backward(t["z"]) as record:
        t["z"].backward()
    # backward frees what autograd saved: the record read it before.
    freed = [n.detail for n in trace_graph(t["z"]).nodes if n.kind == "op"]
    kept = [
        n.detail for n in trace_graph(t["z"], record=record).nodes if n.kind == "op"
    ]
    assert sorted(before) == sorted(kept) == ["", "**2", "×2"]
    # The exponent of Pow is kept as a number; the 2 of 2 * y was a tensor.
    assert sorted(freed) == ["", "", "**2"]


# The geometry of the drawn figures ------------------------------------------


def three_paths() -> dict[str, torch.Tensor]:
    """The chapter's third exercise: z = 2x + 3y + ab."""
    t = two_paths()
    a, b = t["a"], t["b"]
    t["z"] = 2 * t["x"] + 3 * t["y"] + a * b
    return t


def drawn(make: typing.Callable[[], dict[str, torch.Tensor]], root: str) -> Axes:
    """The figure the chapter draws, with the gradient on every edge."""
    t = make()
    with record_backward(t[root]) as record:
        t[root].backward()
    ax = draw_graph(t[root], t, show_grad=True, record=record)
    ax.figure.canvas.draw()
    return ax


def retained() -> dict[str, torch.Tensor]:
    """The first exercise: the chain, keeping the gradient of y."""
    t = chain()
    t["y"].retain_grad()
    return t


def dot() -> dict[str, torch.Tensor]:
    """The fifth exercise: y = 2 x.x, with a gradient shown by its shape."""
    x = torch.arange(4.0, requires_grad=True)
    return {"x": x, "y": 2 * torch.dot(x, x)}


def bus() -> dict[str, torch.Tensor]:
    """The appendix's z = a exp(a) + a: edges from a share a waypoint."""
    a = torch.tensor(1.0, requires_grad=True)
    return {"a": a, "z": a * torch.exp(a) + a}


FIGURES = [
    (chain, "z"),
    (two_paths, "z"),
    (three_paths, "z"),
    (retained, "z"),
    (dot, "y"),
    (bus, "z"),
]


def polylines(patch: typing.Any) -> list[Path]:
    """A patch as drawn, as polylines in display coordinates (``to_polygons``
    flattens its curves and drops its closing codes)."""
    drawn = patch.get_transform().transform_path(patch.get_path())
    return [Path(line) for line in drawn.to_polygons(closed_only=False)]


def arrow_paths(ax: Axes) -> list[list[Path]]:
    """Each arrow, as its shaft and its head."""
    return [polylines(p) for p in ax.patches if isinstance(p, FancyArrowPatch)]


@pytest.mark.parametrize(("make", "root"), FIGURES)
def test_no_gradient_label_lies_on_a_line_a_box_or_another_label(
    make: typing.Callable[[], dict[str, torch.Tensor]], root: str
) -> None:
    ax = drawn(make, root)
    renderer = ax.figure.canvas.get_renderer()
    half_line = 0.6 * ax.figure.dpi / 72  # arrows are 1.2 points wide
    labels = [t for t in ax.texts if t.get_bbox_patch() is None]
    boxes = [t.get_bbox_patch() for t in ax.texts if t.get_bbox_patch() is not None]
    assert len(labels) >= 3 and len(boxes) >= 4  # gradients and nodes drawn
    extents = [t.get_window_extent(renderer).padded(half_line) for t in labels]
    for text, extent in zip(labels, extents, strict=True):
        for arrow in arrow_paths(ax):
            for line in arrow:
                assert not line.intersects_bbox(extent, filled=False), text.get_text()
        for box in boxes:
            assert not box.get_window_extent(renderer).overlaps(extent), text
    for i, j in itertools.combinations(range(len(extents)), 2):
        assert not extents[i].overlaps(extents[j]), (labels[i], labels[j])


@pytest.mark.parametrize(("make", "root"), FIGURES)
def test_arrows_stop_at_boxes_and_are_long_enough_to_see(
    make: typing.Callable[[], dict[str, torch.Tensor]], root: str
) -> None:
    ax = drawn(make, root)
    points = 72 / ax.figure.dpi
    boxes = [polylines(t.get_bbox_patch())[0] for t in ax.texts if t.get_bbox_patch()]
    heads = 0
    for arrow in arrow_paths(ax):
        for line in arrow:
            for box in boxes:
                assert not line.intersects_path(box, filled=True)
            # Nothing is cut off by the edge of the figure.
            assert all(ax.bbox.padded(1).contains(*v) for v in line.vertices)
        if len(arrow) == 2:  # a shaft and a head
            heads += 1
            start = arrow[0].vertices[0]
            tip = max(np.hypot(*(v - start)) for v in arrow[1].vertices)
            assert tip * points >= MIN_ARROW
    assert heads >= len(trace_graph(make()[root]).edges)


def crossing(p: tuple, q: tuple, r: tuple, s: tuple) -> bool:
    """Whether segments pq and rs cross at a point inside both."""

    def side(a: tuple, b: tuple, c: tuple) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    return side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0


@pytest.mark.parametrize(("make", "root"), FIGURES)
def test_no_edge_crosses_another_at_the_inputs(
    make: typing.Callable[[], dict[str, torch.Tensor]], root: str
) -> None:
    t = make()
    graph = trace_graph(t[root], t)
    layout = _plan(graph, show_grad=False).layout
    leaves = {n.key for n in graph.nodes if n.kind == "leaf"}
    segments = {
        (p, q, i == 0 and source in leaves)
        for (source, _), route in zip(graph.edges, layout.routes, strict=True)
        for i, (p, q) in enumerate(itertools.pairwise(route))
    }
    at_inputs = [(p, q) for p, q, leaf in segments if leaf]
    assert at_inputs
    for p, q in at_inputs:
        for r, s, _ in segments:
            assert not crossing(p, q, r, s), ((p, q), (r, s))


def test_the_chain_carries_1_1_2_2_14_back_and_names_its_constants() -> None:
    labels = texts_of(drawn(chain, "z"))
    for text in ("x.grad = 14.0", "Mul\n×2", "Pow\n**2"):
        assert text in labels
    flows = Counter(text for text in labels if text.replace(".", "").isdigit())
    assert flows == Counter({"1.0": 2, "2.0": 2, "14.0": 1})


_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(),
    st.text(max_size=3),
    st.tuples(st.floats(), st.floats()),
)


@settings(max_examples=60, deadline=5000)
@given(
    names=st.one_of(_ANY, st.dictionaries(st.sampled_from("xyzq"), _ANY, max_size=3)),
    show_grad=_ANY,
    figsize=_ANY,
    named=st.lists(st.sampled_from("xyz"), unique=True),
)
def test_draw_graph_draws_or_refuses_any_arguments(
    names: object, show_grad: object, figsize: object, named: list[str]
) -> None:
    t = chain()
    t["z"].backward(retain_graph=True)
    if isinstance(names, dict):  # some names map to the chain's own tensors
        names = names | {name: t[name] for name in named}
    try:
        ax = draw_graph(t["z"], names, show_grad=show_grad, figsize=figsize)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return
    finally:
        plt.close("all")
    assert isinstance(ax, Axes)


@pytest.mark.parametrize(("make", "root"), FIGURES)
def test_forward_figures_cut_off_no_line(
    make: typing.Callable[[], dict[str, torch.Tensor]], root: str
) -> None:
    t = make()
    ax = draw_graph(t[root], t)
    ax.figure.canvas.draw()
    inside = ax.bbox.padded(1)
    for arrow in arrow_paths(ax):
        for line in arrow:
            assert all(inside.contains(*v) for v in line.vertices)


# One dialect (issue 17 §2): NumPy scalars wherever Python numbers go, and a
# bool is never a number.
NUMPY_SCALARS = [np.float32(24), np.float64(24), np.int64(24), np.int32(24)]


@pytest.mark.parametrize("value", NUMPY_SCALARS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("argument", ["gap", "row", "width"])
def test_layout_takes_numpy_scalars(argument: str, value: object) -> None:
    graph = trace_graph(chain()["z"])
    widths: dict[str, object] = {node.key: 30.0 for node in graph.nodes}
    options: dict[str, object] = {}
    if argument == "width":
        widths["n0"] = value
    else:
        options[argument] = value
    layout = layout_graph(graph, widths, **options)  # type: ignore[arg-type]
    plain = layout_graph(
        graph,
        {key: float(w) for key, w in widths.items()},  # type: ignore[arg-type]
        **{k: float(v) for k, v in options.items()},  # type: ignore[arg-type]
    )
    assert layout == plain


@pytest.mark.parametrize("flag", [True, False, np.bool_(True)])
@pytest.mark.parametrize("argument", ["gap", "row", "width"])
def test_layout_refuses_bools(argument: str, flag: object) -> None:
    graph = trace_graph(chain()["z"])
    widths: dict[str, object] = {node.key: 30.0 for node in graph.nodes}
    options: dict[str, object] = {}
    if argument == "width":
        widths["n0"] = flag
    else:
        options[argument] = flag
    name = r"widths\['n0'\]" if argument == "width" else argument
    with pytest.raises(TypeError, match=rf"{name} must be a real number, got .*bool"):
        layout_graph(graph, widths, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [np.float32(3), np.int64(3)], ids=str)
def test_draw_graph_takes_a_numpy_figsize(value: object) -> None:
    ax = draw_graph(chain()["z"], figsize=(value, 2))  # type: ignore[arg-type]
    assert tuple(ax.figure.get_size_inches()) == (3.0, 2.0)
    plt.close(ax.figure)


@pytest.mark.parametrize("flag", [True, np.bool_(False)], ids=str)
def test_draw_graph_refuses_a_bool_in_figsize(flag: object) -> None:
    with pytest.raises(TypeError, match=r"figsize\[0\] must be a real number"):
        draw_graph(chain()["z"], figsize=(flag, 2))  # type: ignore[arg-type]


def test_draw_graph_names_its_axes_like_plot() -> None:
    import inspect

    from d2l_prep.plotting import plot, set_axes

    for function in (plot, set_axes, draw_graph):
        assert "axes" in inspect.signature(function).parameters
        assert "ax" not in inspect.signature(function).parameters
    fig, axes = plt.subplots()
    assert draw_graph(chain()["z"], axes=axes) is axes
    with pytest.raises(TypeError, match="unexpected keyword argument 'ax'"):
        draw_graph(chain()["z"], ax=axes)  # type: ignore[call-arg]
    plt.close(fig)
