"""Property tests of every public callable of d2l_prep (issue 19, section 8).

Whatever it is given (well-formed or not: wrong types, NumPy scalars, bools,
NaN and infinities, negative or zero sizes, empty sequences, huge numbers,
strings), a public function returns, or raises TypeError or ValueError whose
message names the argument at fault; never another exception, and never
later than a few seconds. NumPy scalars are accepted wherever Python numbers
are (issue 17, section 2).

This file belongs to the package's layer of tests: it imports only d2l_prep,
NumPy, PyTorch, Matplotlib (Agg), Hypothesis and pytest.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import pathlib
import re
import signal
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import d2l_prep  # noqa: E402
from d2l_prep import (  # noqa: E402
    BackwardRecord,
    ComputationGraph,
    GraphLayout,
    GraphNode,
    check_gradient,
    draw_graph,
    layout_graph,
    numerical_gradient,
    plot,
    record_backward,
    sample_houses,
    set_axes,
    set_figsize,
    trace_graph,
    use_svg_display,
    write_house_csv,
)

# A call longer than this is a hang: the slowest well-formed call here (a
# drawn graph) takes well under a second.
LIMIT = 10.0
# Hypothesis's own per-example deadline, in milliseconds.
DEADLINE = 5000
FAST = settings(max_examples=60, deadline=DEADLINE)
SLOW = settings(max_examples=40, deadline=DEADLINE)


class Hang(BaseException):
    """A call ran past LIMIT (a BaseException: no except clause swallows it)."""


@contextlib.contextmanager
def time_limit(seconds: float = LIMIT) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def returns_or_refuses(
    function: Callable[..., Any], names: tuple[str, ...], /, *args: Any, **kwargs: Any
) -> Any:
    """Call function; return its result, or None if it refused the input.

    A refusal must be a TypeError or ValueError whose message names one of
    ``names`` (the arguments, or the fields of what they hold).
    """
    try:
        with time_limit():
            return function(*args, **kwargs)
    except (TypeError, ValueError) as error:
        message = str(error)
        assert any(re.search(rf"\b{re.escape(name)}\b", message) for name in names), (
            f"{type(error).__name__} names none of {names}: {message!r}"
        )
        return None
    finally:
        plt.close("all")


# Values of every kind, for any argument ------------------------------------

NUMPY_SCALARS = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(np.int64),
    st.integers(0, 255).map(np.uint8),
    st.floats(width=32).map(np.float32),
    st.floats().map(np.float64),
    st.booleans().map(np.bool_),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18),
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, 5e-324]),
    st.sampled_from([10**400, -(10**400)]),  # beyond every float
    st.complex_numbers(max_magnitude=10),
    st.text(max_size=6),
    st.binary(max_size=4),
    NUMPY_SCALARS,
    st.builds(object),
)
ANYTHING = st.recursive(
    st.one_of(
        SCALARS,
        st.builds(lambda n: np.arange(n, dtype=float), st.integers(0, 3)),
        st.builds(lambda n: torch.ones(n), st.integers(0, 3)),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
    ),
    max_leaves=6,
)


def either(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A well-formed value half the time, anything the other half."""
    return st.one_of(good, ANYTHING)


REAL = st.one_of(st.floats(), st.integers(), NUMPY_SCALARS)
POSITIVE = st.floats(0.1, 20.0)


# Plotting -------------------------------------------------------------------


@FAST
@given(figsize=either(st.tuples(POSITIVE, POSITIVE)))
@example(figsize=(10**400, 2))  # was: OverflowError
def test_set_figsize(figsize: object) -> None:
    with matplotlib.rc_context():
        returns_or_refuses(set_figsize, ("figsize",), figsize)


def test_use_svg_display() -> None:
    assert returns_or_refuses(use_svg_display, ()) is None


LIMITS = either(st.one_of(st.none(), st.tuples(REAL, REAL)))
SCALES = either(st.sampled_from(["linear", "log", "symlog", "logit"]))
LEGENDS = either(st.one_of(st.none(), st.lists(st.text(max_size=4), max_size=3)))
LABELS = either(st.one_of(st.none(), st.text(max_size=6)))


@FAST
@given(
    use_axes=st.booleans(),
    axes=ANYTHING,
    xlabel=LABELS,
    ylabel=LABELS,
    xlim=LIMITS,
    ylim=LIMITS,
    xscale=SCALES,
    yscale=SCALES,
    legend=LEGENDS,
)
@example(  # was: "not enough values to unpack" from Matplotlib
    use_axes=True,
    axes=None,
    xlabel=None,
    ylabel=None,
    xlim=None,
    ylim=[],
    xscale="linear",
    yscale="linear",
    legend=None,
)
def test_set_axes(use_axes: bool, axes: object, **options: object) -> None:
    axes = plt.figure().add_subplot() if use_axes else axes
    returns_or_refuses(
        set_axes, tuple(inspect.signature(set_axes).parameters), axes, **options
    )


# Tensors that hold no values in memory (was: NotImplementedError or
# RuntimeError from PyTorch, when plotted or differentiated).
TENSORS_WITHOUT_VALUES = [
    torch.ones(3, device="meta"),
    torch.eye(2).to_sparse(),
    torch.tensor(1.0, device="meta"),
]
CURVES = st.one_of(
    st.lists(REAL, min_size=0, max_size=4),
    st.lists(st.lists(st.floats(), min_size=1, max_size=3), max_size=2),
    st.integers(0, 4).map(lambda n: np.linspace(0, 1, n)),
    st.integers(0, 4).map(lambda n: torch.linspace(0, 1, n, requires_grad=True)),
    st.integers(0, 3).map(lambda n: torch.ones(2, n, dtype=torch.float16)),
    st.sampled_from([torch.zeros(2, 2, 2), np.zeros(()), torch.ones(3) * 1j]),
    st.sampled_from(TENSORS_WITHOUT_VALUES),
)


# Matplotlib's own word on data a log or logit axis cannot show: the data is
# the reader's to fix, not an argument to refuse.
@pytest.mark.filterwarnings("ignore:Data has no .* and therefore cannot be")
@FAST
@given(
    X=either(CURVES),
    Y=either(st.one_of(st.none(), CURVES)),
    xlabel=LABELS,
    legend=LEGENDS,
    xlim=LIMITS,
    ylim=LIMITS,
    xscale=SCALES,
    fmts=either(
        st.lists(st.sampled_from(["-", "m--", "r:", "o", "zz", "--:"]), max_size=3)
    ),
    figsize=either(st.tuples(POSITIVE, POSITIVE)),
    use_axes=st.booleans(),
    render=st.booleans(),
)
@example(  # was: "'zz' is not a valid format string", naming no argument
    X=[1.0, 2.0],
    Y=None,
    xlabel=None,
    legend=None,
    xlim=None,
    ylim=(math.nan, 1.0),
    xscale="linear",
    fmts=["-", "zz"],
    figsize=(2.0, 2.0),
    use_axes=False,
    render=False,
)
def test_plot(use_axes: bool, render: bool, **arguments: Any) -> None:
    if use_axes:
        arguments["axes"] = plt.figure().add_subplot()
    names = tuple(inspect.signature(plot).parameters)
    with matplotlib.rc_context():
        done = returns_or_refuses(_plot_and_render, names, render, **arguments)
    assert done in (None, True)


def _plot_and_render(render: bool, **arguments: Any) -> bool:
    """Plot, then draw the figure: a bad option must not wait for the drawing.

    Axes that reach near the largest float are not drawn: there Matplotlib's
    own tick locator overflows ("arange: cannot compute length") for data
    that plot rightly accepts, like [1e308, -1e308].
    """
    plot(**arguments)
    axes = arguments.get("axes") or plt.gca()
    reach = [abs(v) for v in (*axes.get_xlim(), *axes.get_ylim())]
    if render and max(reach) < 1e300:
        render_if_possible(axes.figure)
    return True


def render_if_possible(figure: Any) -> None:
    """Draw a figure, unless Matplotlib refuses its size in pixels anyway.

    Agg draws at most 2**23 pixels a side ("Image size ... is too large"),
    a limit of the renderer that the size checks leave to it.
    """
    if max(figure.get_size_inches()) * figure.dpi < 2**23:
        figure.canvas.draw()


# Data -----------------------------------------------------------------------


@FAST
@given(
    num_rows=either(st.integers(0, 50)),
    seed=either(st.integers(0, 2**70)),
    missing=either(st.floats(0, 1)),
)
def test_sample_houses(num_rows: object, seed: object, missing: object) -> None:
    # A huge num_rows is a long but legitimate request, not a bad input.
    if isinstance(num_rows, int | np.integer) and num_rows > 10**5:
        num_rows = -1
    rows = returns_or_refuses(
        sample_houses,
        ("num_rows", "seed", "missing"),
        num_rows,
        seed=seed,
        missing=missing,
    )
    assert rows is None or len(rows) == num_rows


ROW = st.fixed_dictionaries(
    {
        "NumRooms": either(st.one_of(st.none(), st.integers(0, 9))),
        "Alley": either(st.one_of(st.none(), st.just("Pave"))),
        "Price": either(st.integers(0, 10**6)),
    }
)


@FAST
@given(
    name=st.one_of(
        st.sampled_from(["a.csv", "sub/b.csv", ".", "sub", "a\x00b"]),
        # Anything but a str: an arbitrary string is a real path to write.
        SCALARS.filter(lambda v: not isinstance(v, str)),
    ),
    rows=st.one_of(st.none(), st.lists(either(ROW), max_size=3), ANYTHING),
    overwrite=either(st.booleans()),
    again=st.booleans(),
)
@example(name="a.csv", rows=5, overwrite=False, again=False)  # not iterable
@example(name="a\x00b", rows=None, overwrite=False, again=False)  # bare ValueError
def test_write_house_csv(
    name: object, rows: object, overwrite: object, again: bool
) -> None:
    names = ("path", "rows", "overwrite", "NumRooms", "Alley", "Price")
    with tempfile.TemporaryDirectory() as folder:
        (pathlib.Path(folder) / "sub").mkdir()
        path = pathlib.Path(folder) / name if isinstance(name, str) else name
        for _ in range(1 + again):
            try:
                returns_or_refuses(
                    write_house_csv, names, path, rows, overwrite=overwrite
                )
            except OSError as error:  # documented: a folder, or other content
                assert str(path) in str(error)


# Gradients ------------------------------------------------------------------

FUNCTIONS = st.sampled_from(
    [
        lambda t: (t**2).sum(),
        lambda t: t.sum() * 0 + 1,
        lambda t: torch.tensor(1.0),
        lambda t: t.sum().item(),  # a Python float, not a tensor
        lambda t: np.float64(t.sum()),
        lambda t: t,
        lambda t: "one",
        lambda t: t.sum() * 1j,
        lambda t: (t.sqrt()).sum(),
        abs,
        lambda t: t.shape,
    ]
)
POINTS = st.one_of(
    st.builds(
        lambda shape, dtype: torch.rand(shape, dtype=dtype),
        st.lists(st.integers(0, 3), max_size=2).map(tuple),
        st.sampled_from([torch.float64, torch.float32, torch.float16, torch.bfloat16]),
    ),
    st.sampled_from(
        [torch.tensor(2.0), torch.ones(2, dtype=torch.int64), torch.ones(2) * 1j]
    ),
    st.sampled_from(TENSORS_WITHOUT_VALUES),
)
STEPS = either(st.floats(1e-8, 1.0))


@FAST
@given(f=either(FUNCTIONS), x=either(POINTS), h=STEPS)
@example(f=abs, x=torch.ones(2, device="meta"), h=0.1)  # was: RuntimeError
@example(f=abs, x=torch.eye(2).to_sparse(), h=0.1)  # was: RuntimeError
def test_numerical_gradient(f: object, x: object, h: object) -> None:
    grad = returns_or_refuses(numerical_gradient, ("f", "x", "h"), f, x, h=h)
    assert grad is None or grad.shape == x.shape  # type: ignore[attr-defined]


@FAST
@given(
    f=either(FUNCTIONS),
    x=either(POINTS),
    h=STEPS,
    rtol=either(st.floats(0, 1)),
    atol=either(st.floats(0, 1)),
    raise_exception=either(st.booleans()),
)
def test_check_gradient(f: object, x: object, **options: object) -> None:
    names = ("f", "x", "h", "rtol", "atol", "raise_exception", "gradients differ")
    result = returns_or_refuses(check_gradient, names, f, x, **options)
    assert result in (None, True, False)


# Graphs ---------------------------------------------------------------------

KEYS = st.sampled_from(["n0", "n1", "n2", "n3"])
KINDS = st.sampled_from(["root", "op", "tensor", "leaf"])
READINGS = st.one_of(
    st.none(), st.floats(), st.integers(), NUMPY_SCALARS, st.tuples(st.integers(0, 3))
)
NODE_FIELDS = ("key", "kind", "label", "value", "grad", "detail")


@FAST
@given(
    key=either(KEYS),
    kind=either(KINDS),
    label=either(st.text(max_size=5)),
    value=either(READINGS),
    grad=either(READINGS),
    detail=either(st.text(max_size=3)),
)
def test_graph_node(**fields: object) -> None:
    returns_or_refuses(GraphNode, NODE_FIELDS, **fields)


EDGES = st.one_of(st.tuples(KEYS, KEYS), st.lists(KEYS, max_size=3))
NODES = st.builds(GraphNode, KEYS, KINDS, st.sampled_from(["x", "Mul", "$a$"]))
GRAPH_NAMES = ("nodes", "edges", "flows", "node", "edge", "cycle", "leaf", "root")


@st.composite
def graphs(draw: st.DrawFn) -> ComputationGraph | None:
    """A graph that its checks accept, or None."""
    nodes = draw(st.lists(NODES, max_size=5).map(tuple))
    edges = draw(st.lists(st.tuples(KEYS, KEYS), max_size=6).map(tuple))
    try:
        return ComputationGraph(nodes, edges)
    except (TypeError, ValueError):
        return None


@FAST
@given(
    nodes=either(st.lists(either(NODES), max_size=5).map(tuple)),
    edges=either(st.lists(either(EDGES), max_size=6).map(tuple)),
    flows=either(st.lists(either(READINGS), max_size=6).map(tuple)),
)
@example(  # was: "unhashable type: 'list'"
    nodes=(GraphNode("n0", "root", "z"), GraphNode("n1", "leaf", "x")),
    edges=(["n1", "n0"],),
    flows=(),
)
def test_computation_graph(nodes: object, edges: object, flows: object) -> None:
    returns_or_refuses(ComputationGraph, GRAPH_NAMES, nodes, edges, flows)


@FAST
@given(centers=ANYTHING, routes=ANYTHING, width=either(REAL), height=either(REAL))
def test_graph_layout(**fields: object) -> None:
    names = ("centers", "routes", "width", "height")
    returns_or_refuses(GraphLayout, names, **fields)


@FAST
@given(
    graph=either(graphs()),
    width=either(POSITIVE),
    widths=ANYTHING,
    use_widths=st.booleans(),
    gap=either(POSITIVE),
    row=either(POSITIVE),
)
def test_layout_graph(
    graph: object, width: object, widths: object, use_widths: bool, **spacing: object
) -> None:
    if use_widths and isinstance(graph, ComputationGraph):
        widths = {node.key: width for node in graph.nodes}
    names = ("graph", "widths", "gap", "row")
    layout = returns_or_refuses(layout_graph, names, graph, widths, **spacing)
    assert layout is None or len(layout.centers) == len(graph.nodes)  # type: ignore[attr-defined]


def _tensors() -> dict[str, torch.Tensor]:
    x = torch.tensor(3.0, requires_grad=True)
    y = torch.ones(2, requires_grad=True)
    z = x * y
    return {"x": x, "y": y, "z": z, "root": (2 * z**2).sum()}


# Labels Matplotlib reads as math (and some it cannot), or cannot draw at all.
LABEL_TEXTS = ["$x_1$", "$\\foo$", "$", "a\x00b", "\n", "", "名字"]
DRAWN = _tensors()  # one graph, for the explicit examples
ROOTS = st.sampled_from(["root", "z", "x", "constant"])


@st.composite
def traced(draw: st.DrawFn) -> dict[str, Any]:
    """Arguments of trace_graph and draw_graph, well-formed or not."""
    tensors = _tensors()
    tensors["constant"] = torch.ones(2)
    choice = draw(either(ROOTS))
    root = tensors[choice] if isinstance(choice, str) and choice in tensors else choice
    picked = draw(st.lists(st.sampled_from(sorted(tensors)), max_size=3, unique=True))
    label = st.one_of(st.just("x"), st.text(max_size=4), st.sampled_from(LABEL_TEXTS))
    names = draw(either(st.just({draw(label): tensors[n] for n in picked})))
    record = draw(st.sampled_from(["none", "recorded", "empty", "junk"]))
    arguments: dict[str, Any] = {"root": root, "names": names}
    if record == "recorded" and isinstance(choice, str) and choice == "root":
        with record_backward(tensors["root"]) as arguments["record"]:
            tensors["root"].backward()
    elif record == "empty":
        arguments["record"] = BackwardRecord()
    elif record == "junk":
        arguments["record"] = draw(ANYTHING)
    return arguments


TRACE_NAMES = ("root", "names", "record")


@FAST
@given(arguments=traced())
@example(  # was: RuntimeError, reading the value of a meta tensor
    arguments={
        "root": (torch.ones(2, device="meta", requires_grad=True) * 2).sum(),
        "names": None,
    }
)
def test_trace_graph(arguments: dict[str, Any]) -> None:
    returns_or_refuses(trace_graph, TRACE_NAMES, **arguments)


@SLOW
@given(
    arguments=traced(),
    show_grad=either(st.booleans()),
    use_axes=st.booleans(),
    figsize=either(st.one_of(st.none(), st.tuples(POSITIVE, POSITIVE))),
)
@example(  # was: Matplotlib's ParseFatalException, naming no argument
    arguments={"root": DRAWN["root"], "names": {"$\\foo$": DRAWN["x"]}},
    show_grad=False,
    use_axes=False,
    figsize=None,
)
@example(  # was: Matplotlib's "Axis limits cannot be NaN or Inf"
    arguments={"root": DRAWN["root"], "names": None},
    show_grad=False,
    use_axes=False,
    figsize=(1e308, 2.0),
)
@example(  # was: AttributeError from Matplotlib's TextPath of an empty line
    arguments={"root": DRAWN["root"], "names": {"\n": DRAWN["x"]}},
    show_grad=False,
    use_axes=False,
    figsize=None,
)
def test_draw_graph(
    arguments: dict[str, Any], show_grad: object, use_axes: bool, figsize: object
) -> None:
    axes = plt.figure().add_subplot() if use_axes else None
    names = (*TRACE_NAMES, "show_grad", "axes", "figsize", "the graph of root")
    returns_or_refuses(
        _draw_and_render,
        names,
        **arguments,
        show_grad=show_grad,
        axes=axes,
        figsize=figsize,
    )


def _draw_and_render(**arguments: Any) -> None:
    """Draw the graph, then render the figure, as a notebook would."""
    render_if_possible(draw_graph(**arguments).figure)


@FAST
@given(root=either(ROOTS))
def test_record_backward(root: object) -> None:
    tensors = _tensors()
    root = tensors.get(root, root) if isinstance(root, str) else root

    def record() -> BackwardRecord:
        with record_backward(root) as record:  # type: ignore[arg-type]
            root.sum().backward()  # type: ignore[attr-defined]
        return record

    returns_or_refuses(record, ("root",))


@FAST
@given(
    fn=either(st.sampled_from(["grad_fn", "leaf_fn"])),
    number=either(st.integers(-3, 3)),
    method=st.sampled_from(["keep_detail", "detail", "received", "sent"]),
)
@example(fn=None, number=0, method="keep_detail")  # was: AttributeError
@example(fn="grad_fn", number=5, method="received")  # was: IndexError
@example(fn="grad_fn", number=None, method="sent")  # was: a TypeError naming nothing
def test_backward_record_methods(fn: object, number: object, method: str) -> None:
    tensors = _tensors()
    root = tensors["root"]
    nodes = {"grad_fn": root.grad_fn, "leaf_fn": tensors["z"].grad_fn}
    fn = nodes.get(fn, fn) if isinstance(fn, str) else fn
    with record_backward(root) as record:
        root.backward()
    call = getattr(record, method)
    args = (fn,) if method in ("keep_detail", "detail") else (fn, number)
    names = ("fn", "output_nr", "input_nr")
    returns_or_refuses(call, names, *args)


# NumPy scalars wherever Python numbers go ----------------------------------

NUMPY_INTS = st.sampled_from([np.int64, np.int32, np.int8, np.uint16, np.uint64])
NUMPY_FLOATS = st.sampled_from([np.float64, np.float32, np.float16])


@settings(max_examples=20, deadline=DEADLINE)  # 15 type pairs; each call draws
@given(integer=NUMPY_INTS, real=NUMPY_FLOATS, size=st.integers(1, 9))
def test_numpy_scalars_are_numbers(
    integer: Callable[[int], Any], real: Callable[[float], Any], size: int
) -> None:
    count, number = integer(size), real(size)
    assert sample_houses(count, seed=count, missing=real(0.5)) == sample_houses(
        size, seed=size, missing=0.5
    )
    with matplotlib.rc_context():
        set_figsize((number, count))
        plot([count, number], [number, count], xlim=(count, number + 1), figsize=(2, 2))
        plt.gcf().canvas.draw()
    plt.close("all")
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    f = lambda t: (t**2).sum()  # noqa: E731
    h = 2.0**-size  # exact in every float type
    assert torch.equal(
        numerical_gradient(f, x, h=real(h)), numerical_gradient(f, x, h=h)
    )
    assert check_gradient(f, x, h=real(h), rtol=number, atol=count)
    graph = trace_graph(_tensors()["root"])
    widths = {node.key: number for node in graph.nodes}
    assert layout_graph(graph, widths, gap=count, row=number) == layout_graph(
        graph, dict.fromkeys(widths, float(size)), gap=size, row=size
    )
    assert GraphNode("n0", "leaf", "x", number, count).value == size
    row = {"NumRooms": count, "Alley": None, "Price": count}
    with tempfile.TemporaryDirectory() as folder:
        text = write_house_csv(pathlib.Path(folder) / "a.csv", [row]).read_text()
    assert text.splitlines()[1] == f"{size},NA,{size}"


# Nothing public escapes these properties -----------------------------------

TESTED = {
    "BackwardRecord": test_backward_record_methods,
    "ComputationGraph": test_computation_graph,
    "GraphLayout": test_graph_layout,
    "GraphNode": test_graph_node,
    "check_gradient": test_check_gradient,
    "draw_graph": test_draw_graph,
    "layout_graph": test_layout_graph,
    "numerical_gradient": test_numerical_gradient,
    "plot": test_plot,
    "record_backward": test_record_backward,
    "sample_houses": test_sample_houses,
    "set_axes": test_set_axes,
    "set_figsize": test_set_figsize,
    "trace_graph": test_trace_graph,
    "use_svg_display": test_use_svg_display,
    "write_house_csv": test_write_house_csv,
}


def public_callables() -> set[str]:
    """Every public name of d2l_prep that one can call (pyplot and aliases aside)."""
    return {
        name
        for name in d2l_prep.__all__
        if (value := getattr(d2l_prep, name)) is not plt
        and (inspect.isfunction(value) or inspect.isclass(value))
    }


def test_every_public_callable_has_a_property() -> None:
    assert public_callables() == set(TESTED)


@pytest.mark.parametrize("name", ["BackwardRecord"])
def test_public_methods_have_a_property(name: str) -> None:
    """A class's public methods are called by the test of the class."""
    methods = {
        m for m, _ in inspect.getmembers(getattr(d2l_prep, name), inspect.isfunction)
    }
    assert {m for m in methods if not m.startswith("_")} == {
        "keep_detail",
        "detail",
        "received",
        "sent",
    }
