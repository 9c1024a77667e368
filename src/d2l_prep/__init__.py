"""d2l-prep: the code of the Preliminaries of *Dive into Deep Learning*.

Every function here is defined in a chapter of the book, in a ``#@save``
cell, and generated into its module by ``python docs/_ext/save.py``::

    import d2l_prep as d2l

    d2l.use_svg_display()
    d2l.plot(x, [f(x), g(x)], "x", "f(x)", legend=["f", "g"])

Importing the package changes no global state (Matplotlib's rcParams are
touched only by ``set_figsize`` and ``plot`` when called) and imports neither
pandas nor IPython.
"""

import matplotlib.pyplot as plt

from d2l_prep.data import HOUSE_COLUMNS, HOUSES, sample_houses, write_house_csv
from d2l_prep.gradients import check_gradient, numerical_gradient
from d2l_prep.graph_draw import MAX_DRAWN_NODES, draw_graph
from d2l_prep.graph_layout import GraphLayout, Point, layout_graph
from d2l_prep.graphs import (
    BackwardRecord,
    ComputationGraph,
    GraphNode,
    NodeKind,
    Reading,
    record_backward,
    trace_graph,
)
from d2l_prep.plotting import plot, set_axes, set_figsize, use_svg_display

__version__ = "0.1.0"

__all__ = [
    "MAX_DRAWN_NODES",
    "BackwardRecord",
    "ComputationGraph",
    "GraphLayout",
    "GraphNode",
    "HOUSES",
    "NodeKind",
    "Point",
    "Reading",
    "HOUSE_COLUMNS",
    "check_gradient",
    "draw_graph",
    "layout_graph",
    "numerical_gradient",
    "plot",
    "plt",
    "record_backward",
    "sample_houses",
    "set_axes",
    "set_figsize",
    "trace_graph",
    "use_svg_display",
    "write_house_csv",
]
