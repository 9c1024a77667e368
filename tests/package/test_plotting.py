"""d2l_prep.plotting: the figure helpers saved from the Calculus chapter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

# conftest.py selects the Agg backend and resets figures and rcParams per test.
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba

from d2l_prep.plotting import plot, set_axes, set_figsize


def lines_data(axes: Axes) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (
            np.asarray(line.get_xdata(), dtype=float),
            np.asarray(line.get_ydata(), dtype=float),
        )
        for line in axes.get_lines()
    ]


def assert_curves(axes: Axes, expected: list[tuple[Any, Any]]) -> None:
    drawn = lines_data(axes)
    assert len(drawn) == len(expected)
    for (x, y), (ex, ey) in zip(drawn, expected, strict=True):
        np.testing.assert_array_equal(x, np.asarray(ex, dtype=float))
        np.testing.assert_array_equal(y, np.asarray(ey, dtype=float))


# -- accepted inputs ------------------------------------------------------------

X3 = [0.0, 1.0, 2.0]
Y3 = [1.0, -2.0, 0.5]


@pytest.mark.parametrize(
    "convert",
    [list, np.array, torch.tensor],
    ids=["list", "ndarray", "tensor"],
)
def test_one_curve_in_any_container(convert: Any) -> None:
    plot(convert(X3), convert(Y3))
    assert_curves(plt.gca(), [(X3, Y3)])


def test_tensor_that_requires_grad_is_detached() -> None:
    x = torch.linspace(-1, 1, 5, requires_grad=True)
    y = x**2
    plot(x, [y, 2 * x])
    expected = x.detach().numpy()
    assert_curves(plt.gca(), [(expected, expected**2), (expected, 2 * expected)])


def test_list_of_curves_shares_a_single_x() -> None:
    x = torch.arange(4.0)
    plot(x, [x, x**2, np.ones(4), [4.0, 3.0, 2.0, 1.0]])
    assert_curves(
        plt.gca(),
        [(x, x), (x, x**2), (x, np.ones(4)), (x, [4, 3, 2, 1])],
    )


def test_one_x_per_curve() -> None:
    plot([[0.0, 1.0], [5.0, 6.0, 7.0]], [[1.0, 2.0], [3.0, 4.0, 5.0]])
    assert_curves(plt.gca(), [([0, 1], [1, 2]), ([5, 6, 7], [3, 4, 5])])


def test_y_alone_is_plotted_against_its_index() -> None:
    plot([3.0, 1.0, 2.0])
    assert_curves(plt.gca(), [([0, 1, 2], [3, 1, 2])])


def test_several_y_alone_each_against_its_index() -> None:
    plot([torch.tensor([1.0, 2.0]), np.array([3.0, 4.0, 5.0])])
    assert_curves(plt.gca(), [([0, 1], [1, 2]), ([0, 1, 2], [3, 4, 5])])


def test_rows_of_a_2d_tensor_are_curves() -> None:
    Y = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    plot(torch.arange(3.0), Y)
    assert_curves(plt.gca(), [([0, 1, 2], Y[0]), ([0, 1, 2], Y[1])])


def test_list_of_scalar_tensors_is_one_curve() -> None:
    x = torch.tensor(2.0, requires_grad=True)
    plot([x, x * 2, x * 3])
    assert_curves(plt.gca(), [([0, 1, 2], [2, 4, 6])])


def test_formats_are_used_in_order() -> None:
    plot([0.0, 1.0], [[0.0, 1.0], [1.0, 0.0]], fmts=("g-.", "r:"))
    first, second = plt.gca().get_lines()
    assert (first.get_color(), first.get_linestyle()) == ("g", "-.")
    assert (second.get_color(), second.get_linestyle()) == ("r", ":")


def test_labels_scales_limits_legend_and_grid() -> None:
    plot(
        [1.0, 10.0, 100.0],
        [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]],
        xlabel="h",
        ylabel="error",
        legend=["a", "b"],
        xlim=(1, 100),
        ylim=(0, 4),
        xscale="log",
        yscale="linear",
    )
    axes = plt.gca()
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("h", "error")
    assert (axes.get_xscale(), axes.get_yscale()) == ("log", "linear")
    assert axes.get_xlim() == (1, 100) and axes.get_ylim() == (0, 4)
    legend = axes.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b"]
    assert all(line.get_visible() for line in axes.get_xgridlines())


def test_no_legend_without_labels() -> None:
    plot([1.0, 2.0])
    assert plt.gca().get_legend() is None


def test_given_axes_are_cleared_and_the_others_untouched() -> None:
    _, (left, right) = plt.subplots(1, 2)
    left.plot([0, 1], [0, 1])
    right.plot([0, 1], [1, 0])
    plot([5.0, 6.0], axes=right)
    assert len(left.get_lines()) == 1
    assert_curves(right, [([0, 1], [5, 6])])


def test_default_axes_are_the_current_ones_and_cleared() -> None:
    plt.plot([0, 1], [0, 1])
    axes = plt.gca()
    plot([7.0, 8.0, 9.0])
    assert plt.gca() is axes
    assert_curves(axes, [([0, 1, 2], [7, 8, 9])])


def test_figsize_is_the_default_for_new_figures() -> None:
    plot([1.0, 2.0], figsize=(4, 3))
    assert tuple(plt.rcParams["figure.figsize"]) == (4.0, 3.0)
    set_figsize((5, 2.5))
    assert tuple(plt.figure().get_size_inches()) == (5.0, 2.5)


def test_set_axes_on_given_axes() -> None:
    _, axes = plt.subplots()
    set_axes(axes, "x", None, None, (0, 1), "linear", "symlog", None)
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("x", "")
    assert axes.get_yscale() == "symlog" and axes.get_ylim() == (0, 1)
    assert all(line.get_visible() for line in axes.get_ygridlines())


def run_python(code: str) -> None:
    """Run ``code`` in a fresh interpreter; it fails by raising."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_import_changes_no_global_state_and_needs_no_ipython() -> None:
    run_python(
        """
        import sys, matplotlib
        before = dict(matplotlib.rcParams)
        import d2l_prep, d2l_prep.plotting
        assert dict(matplotlib.rcParams) == before, "rcParams changed"
        loaded = [m for m in ("IPython", "pandas", "matplotlib_inline") if m in sys.modules]
        assert not loaded, loaded
        """
    )


def test_outside_ipython_plotting_loads_no_notebook_machinery() -> None:
    # use_svg_display (called by set_figsize and plot) has no notebook to
    # configure in a script: it must not import IPython to find that out.
    run_python(
        """
        import sys, matplotlib
        matplotlib.use("Agg")
        import d2l_prep as d2l
        d2l.use_svg_display()
        d2l.plot([1.0, 2.0, 3.0])
        loaded = [m for m in ("IPython", "matplotlib_inline") if m in sys.modules]
        assert not loaded, loaded
        """
    )


@pytest.mark.parametrize(
    "call", ["set_figsize()", "set_figsize((4, 3))", "plot([1.0, 2.0])"]
)
def test_in_ipython_figures_become_svg(call: str) -> None:
    # As in the original book: set_figsize (and so plot) switches a notebook
    # to SVG figures. A fresh interpreter, since the IPython shell is global.
    run_python(
        f"""
        import matplotlib
        matplotlib.use("Agg")
        from IPython.core.interactiveshell import InteractiveShell
        from matplotlib.figure import Figure
        shell = InteractiveShell.instance()
        svg = shell.display_formatter.formatters["image/svg+xml"]
        png = shell.display_formatter.formatters["image/png"]
        from d2l_prep.plotting import plot, set_figsize
        assert Figure not in svg.type_printers, "SVG before any call"
        {call}
        assert Figure in svg.type_printers, "no SVG formatter for figures"
        assert Figure not in png.type_printers, "figures still shown as PNG"
        """
    )


# -- rejected inputs ------------------------------------------------------------


def test_x_and_y_of_different_lengths() -> None:
    with pytest.raises(
        ValueError, match=r"X and Y differ in length for curve 1: 3 x values and 2"
    ):
        plot(X3, [Y3, [1.0, 2.0]])


def test_different_numbers_of_x_and_y_curves() -> None:
    with pytest.raises(ValueError, match="X holds 2 curves and Y holds 3"):
        plot([X3, X3], [Y3, Y3, Y3])


@pytest.mark.parametrize("n", [5, 9])
def test_more_curves_than_formats_cycles_the_formats(n: int) -> None:
    fmts = ("-", "m--", "g-.", "r:")
    curves = [[float(i), float(i) + 1.0, float(i) - 1.0] for i in range(n)]
    labels = [f"curve {i}" for i in range(n)]
    plot(X3, curves, legend=labels)
    axes = plt.gca()
    assert_curves(axes, [(X3, y) for y in curves])
    styles = [line.get_linestyle() for line in axes.get_lines()]
    assert styles == [("-", "--", "-.", ":")[i % 4] for i in range(n)]
    colours = [to_rgba(line.get_color()) for line in axes.get_lines()]
    for i in (1, 2, 3):  # the first round keeps the colours of the formats
        assert colours[i] == to_rgba(fmts[i].rstrip("-.:"))
    for i in range(4, n):  # a reused format takes colour i of the cycle
        assert colours[i] == to_rgba(f"C{i}")
    assert len(set(zip(styles, colours, strict=True))) == n, "two curves look alike"
    legend = axes.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == labels
    assert [h.get_linestyle() for h in legend.legend_handles] == styles


def test_a_single_format_serves_every_curve_in_its_own_colour() -> None:
    plot(X3, [Y3] * 3, fmts=("r--",))
    lines = plt.gca().get_lines()
    assert [line.get_linestyle() for line in lines] == ["--"] * 3
    colours = [to_rgba(line.get_color()) for line in lines]
    assert colours == [to_rgba("r"), to_rgba("C1"), to_rgba("C2")]


def test_fmts_must_not_be_empty() -> None:
    with pytest.raises(TypeError, match="fmts must be a non-empty sequence"):
        plot(X3, Y3, fmts=())


@pytest.mark.parametrize("scale", ["logarithmic", "", None, 2])
@pytest.mark.parametrize("name", ["xscale", "yscale"])
def test_unknown_scale(name: str, scale: object) -> None:
    with pytest.raises(ValueError, match=f"{name} must be one of .*got {scale!r}"):
        plot(X3, Y3, **{name: scale})


@pytest.mark.parametrize(
    "figsize", [(0, 2), (3, -1), (float("inf"), 2), (2, float("nan"))]
)
def test_non_positive_or_infinite_figsize(figsize: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match=r"figsize\[[01]\] must be finite and > 0"):
        set_figsize(figsize)
    with pytest.raises(ValueError, match="figsize"):
        plot(X3, Y3, figsize=figsize)


@pytest.mark.parametrize("figsize", [3.5, (3.5,), (1, 2, 3), ("3", 2), (True, 2), None])
def test_figsize_that_is_not_a_pair_of_numbers(figsize: object) -> None:
    expected = r"figsize must be a pair of numbers|figsize\[0\] must be a real number"
    with pytest.raises(TypeError, match=expected):
        set_figsize(figsize)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("X", "Y", "error", "message"),
    [
        ([], None, ValueError, "X must not hold an empty curve"),
        (X3, [Y3, []], ValueError, "Y must not hold an empty curve"),
        (
            torch.zeros(2, 2, 2),
            None,
            ValueError,
            r"X must have 1 axis .* shape \(2, 2, 2\)",
        ),
        (X3, [Y3, [[1.0]]], TypeError, r"Y\[1\] must be a sequence of real numbers"),
        (X3, [Y3, np.zeros((3, 1))], ValueError, r"Y\[1\] must be one curve"),
        (["a", "b"], None, TypeError, r"X\[0\] must hold real numbers"),
        (X3, torch.tensor([1j, 2j, 3j]), TypeError, "Y must hold real numbers"),
        (X3, np.array(["1", "2", "3"]), TypeError, "Y must hold real numbers"),
        ({"a": 1}, None, TypeError, "X must hold real numbers"),
    ],
)
def test_data_that_are_not_curves(X: Any, Y: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        plot(X, Y)


def test_wrong_types_of_options() -> None:
    with pytest.raises(TypeError, match="legend must be a list of labels"):
        plot(X3, Y3, legend="f(x)")
    with pytest.raises(TypeError, match="fmts must be a non-empty sequence of format"):
        plot(X3, Y3, fmts="r-")
    with pytest.raises(TypeError, match="axes must be a Matplotlib Axes or None"):
        plot(X3, Y3, axes="left")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="axes must be a Matplotlib Axes"):
        set_axes(None, None, None, None, None, "linear", "linear", None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="yscale must be one of"):
        set_axes(plt.gca(), None, None, None, None, "linear", "loglog", None)


def test_nothing_is_drawn_when_the_arguments_are_wrong() -> None:
    _, axes = plt.subplots()
    axes.plot([0, 1], [0, 1])
    with pytest.raises(ValueError):
        plot(X3, [Y3, [1.0]], axes=axes)
    with pytest.raises(ValueError):
        plot(X3, Y3, yscale="bad", axes=axes)
    with pytest.raises(ValueError, match=r"^xlim must be positive on a log scale"):
        plot(X3, Y3, xlim=(0, 3), xscale="log", axes=axes)
    with pytest.raises(ValueError, match=r"^yscale must be one of .*, got 'function'"):
        plot(X3, Y3, yscale="function", axes=axes)  # it needs functions of its own
    assert_curves(axes, [([0, 1], [0, 1])])


def test_limits_the_axis_cannot_show_are_refused() -> None:
    # Matplotlib would warn and choose limits of its own.
    axes = plt.figure().add_subplot()
    with pytest.raises(ValueError, match=r"^ylim must be positive .* got \(-1, 10\)"):
        set_axes(axes, None, None, None, (-1, 10), "linear", "log", None)
    with pytest.raises(ValueError, match=r"^xlim must lie in \[0, 1\] on a logit"):
        set_axes(axes, None, None, (0.5, 2), None, "logit", "linear", None)
    set_axes(axes, None, None, (0, 1), None, "logit", "linear", None)  # clamped
    with pytest.raises(ValueError, match=r"^xlim must be two different numbers"):
        set_axes(axes, None, None, (2, 2), None, "linear", "linear", None)
    set_axes(axes, None, None, (0.9, 0.1), (0.1, 10), "logit", "log", None)
    assert axes.get_xlim() == (0.9, 0.1) and axes.get_ylim() == (0.1, 10)


# -- any accepted shape ------------------------------------------------------------

KINDS = ("list", "ndarray", "tensor", "tensor requiring grad")
values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


def as_kind(data: list[float], kind: str) -> Any:
    if kind == "list":
        return list(data)
    if kind == "ndarray":
        return np.array(data)
    tensor = torch.tensor(data, dtype=torch.float64)
    return tensor.requires_grad_() if kind == "tensor requiring grad" else tensor


@st.composite
def plot_calls(
    draw: st.DrawFn,
) -> tuple[Any, Any, list[tuple[list[float], list[float]]]]:
    """Arguments for ``plot`` and the (x, y) data of the curves it must draw."""
    n = draw(st.integers(1, 4))
    mode = draw(st.sampled_from(["y alone", "shared x", "x per curve"]))
    if mode == "shared x":
        lengths = [draw(st.integers(1, 50))] * n
    else:
        lengths = [draw(st.integers(1, 50)) for _ in range(n)]
    ys = [draw(st.lists(values, min_size=k, max_size=k)) for k in lengths]

    def pack(curves: list[list[float]]) -> Any:
        if len(curves) == 1 and draw(st.booleans()):
            return as_kind(curves[0], draw(st.sampled_from(KINDS)))
        return [as_kind(c, draw(st.sampled_from(KINDS))) for c in curves]

    if mode == "y alone":
        expected = [([float(i) for i in range(len(y))], y) for y in ys]
        return pack(ys), None, expected
    if mode == "shared x":
        x = draw(st.lists(values, min_size=lengths[0], max_size=lengths[0]))
        return pack([x]), pack(ys), [(x, y) for y in ys]
    xs = [draw(st.lists(values, min_size=k, max_size=k)) for k in lengths]
    return pack(xs), pack(ys), list(zip(xs, ys, strict=True))


# The autouse fixture only resets figures and rcParams, which each example
# handles itself (its own figure, closed at the end).
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plot_calls())
def test_any_accepted_shape_draws_every_curve(
    call: tuple[Any, Any, list[tuple[list[float], list[float]]]],
) -> None:
    X, Y, expected = call
    figure, axes = plt.subplots()
    try:
        plot(X, Y, axes=axes)
        assert_curves(axes, expected)
    finally:
        plt.close(figure)


# One dialect (issue 17 §2): NumPy scalars wherever Python numbers go, and a
# bool is never a number.
@pytest.mark.parametrize(
    "value", [np.float32(3), np.float64(3), np.int64(3), np.int32(3)], ids=repr
)
def test_figsize_takes_numpy_scalars(value: object) -> None:
    set_figsize((value, 2))  # type: ignore[arg-type]
    assert tuple(plt.rcParams["figure.figsize"]) == (3.0, 2.0)
    plot([0.0, 1.0], [[0.0, 1.0]], figsize=(2, value))  # type: ignore[arg-type]
    assert tuple(plt.gcf().get_size_inches()) == (2.0, 3.0)
    plt.close("all")


@pytest.mark.parametrize("flag", [True, False, np.bool_(True)], ids=repr)
def test_figsize_refuses_bools(flag: object) -> None:
    with pytest.raises(
        TypeError, match=r"figsize\[1\] must be a real number, got .*bool"
    ):
        set_figsize((3, flag))  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"figsize\[0\] must be a real number, got .*bool"
    ):
        plot([0.0, 1.0], [[0.0, 1.0]], figsize=(flag, 2))  # type: ignore[arg-type]
