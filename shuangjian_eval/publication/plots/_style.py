"""House style and the CJK font that ships with the install.

Importing :mod:`shuangjian_eval.publication.plots` registers Noto Sans SC from the ``pylopdf_fonts_zh_cn``
package (SIL Open Font License 1.1) with matplotlib and puts it first in ``font.sans-serif``,
with common system CJK fonts behind it as fallbacks, so Chinese renders on a fresh install
without any system font. Charts are drawn in the house style: white background, light
horizontal grid, a restrained palette, and series told apart by marker, line style and hatch
as well as colour, so they read when printed in black and white.
"""

from __future__ import annotations

import contextlib
import re
import threading
import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "FALLBACK_FONTS",
    "FONT_FILE",
    "FONT_PACKAGE",
    "PALETTE",
    "STYLE",
    "SeriesStyle",
    "font_path",
    "house_style",
    "new_figure",
    "raster_dpi",
    "register_font",
    "series_style",
    "tight_layout_once",
]

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"
#: System CJK fonts tried after the bundled one (Windows, macOS, Linux).
FALLBACK_FONTS: tuple[str, ...] = (
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "WenQuanYi Micro Hei",
)

#: A restrained palette: ink blue, brick, moss, ochre, plum, graphite.
PALETTE: tuple[str, ...] = ("#1f3a5f", "#b5452c", "#4a7c59", "#9a7b22", "#6b4c7a", "#555555")
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P")
LINESTYLES: tuple[Any, ...] = ("-", "--", ":", "-.", (0, (6, 2, 1, 2, 1, 2)), (0, (1, 3)))
HATCHES: tuple[str, ...] = ("", "///", "...", "xxx", "\\\\\\", "+++")

_font_name: str | None = None
_font_file: Path | None = None


def font_path() -> Path | None:
    """Path of the bundled CJK font registered with matplotlib (None if it was not found)."""
    return _font_file


def register_font() -> str | None:
    """Register the bundled Noto Sans SC with matplotlib and make it the first sans-serif font.

    Idempotent. Sets ``font.family`` to sans-serif, puts the bundled font and then
    :data:`FALLBACK_FONTS` in front of ``font.sans-serif``, and ``axes.unicode_minus`` to
    False (the CJK font's hyphen-minus is used for negative numbers).

    Returns
    -------
    str or None
        The family name of the registered font (``"Noto Sans SC"``), None when the font
        package is missing (a warning says so; system fallbacks are used).
    """
    global _font_name, _font_file
    if _font_name is None:
        try:
            path = Path(str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)))
            if not path.is_file():
                raise FileNotFoundError(path)
        except (ModuleNotFoundError, FileNotFoundError) as err:
            warnings.warn(
                f"the bundled CJK font ({FONT_PACKAGE}/{FONT_FILE}) was not found ({err}); "
                f"Chinese text needs one of the system fonts {list(FALLBACK_FONTS)}",
                RuntimeWarning,
                stacklevel=2,
            )
        else:
            if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
                font_manager.fontManager.addfont(str(path))
            _font_name = font_manager.FontProperties(fname=str(path)).get_name()
            _font_file = path
    first = [_font_name] if _font_name else []
    families = [*first, *FALLBACK_FONTS]
    current = [f for f in mpl.rcParams["font.sans-serif"] if f not in families]
    mpl.rcParams["font.sans-serif"] = [*families, *current]
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["axes.unicode_minus"] = False
    return _font_name


#: rcParams of the house style (applied while a chart is drawn).
STYLE: dict[str, Any] = {
    "figure.facecolor": "white",
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "axes.facecolor": "white",
    "axes.edgecolor": "#333333",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.titlesize": 12.5,
    "axes.titlelocation": "left",
    "axes.titlepad": 10,
    "axes.labelsize": 10.5,
    "axes.labelcolor": "#222222",
    "axes.unicode_minus": False,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.frameon": False,
    "legend.fontsize": 9.5,
    "legend.title_fontsize": 9.5,
    "lines.linewidth": 1.8,
    "lines.markersize": 6.5,
    "errorbar.capsize": 3,
    "hatch.color": "#444444",
    "hatch.linewidth": 0.6,
    "font.size": 10,
}


#: The dpi at which the figures being built will be rasterised (set by :func:`raster_dpi`).
_RASTER_DPI: ContextVar[float | None] = ContextVar("raster_dpi", default=None)
#: rcParams added to :data:`STYLE` inside :func:`raster_dpi`: titles sit at the top of their
#: Axes, where matplotlib would otherwise check at every draw whether something above the
#: Axes pushes them up (see :func:`titles_unobstructed`).
_RASTER_STYLE: dict[str, Any] = {"axes.titley": 1.0}


@contextlib.contextmanager
def house_style() -> Iterator[None]:
    """Context in which charts are built: the house rcParams and the bundled font first."""
    register_font()
    dpi = _RASTER_DPI.get()
    with mpl.rc_context(STYLE if dpi is None else {**STYLE, **_RASTER_STYLE, "figure.dpi": dpi}):
        yield


@dataclass(frozen=True)
class SeriesStyle:
    """How the i-th series of a chart is drawn: colour, marker, fill, line style and hatch."""

    color: str
    marker: str
    linestyle: Any
    hatch: str
    filled: bool

    @property
    def markerfacecolor(self) -> str:
        return self.color if self.filled else "white"


def series_style(i: int) -> SeriesStyle:
    """Style of series ``i``: every series differs from its neighbours in marker and line
    style, and markers alternate filled and hollow, so colour is never the only cue."""
    return SeriesStyle(
        color=PALETTE[i % len(PALETTE)],
        marker=MARKERS[i % len(MARKERS)],
        linestyle=LINESTYLES[i % len(LINESTYLES)],
        hatch=HATCHES[i % len(HATCHES)],
        filled=i % 2 == 0,
    )


@contextlib.contextmanager
def raster_dpi(dpi: float) -> Iterator[None]:
    """Context in which the chart functions build figures that the caller will rasterise once
    at ``dpi`` (as :meth:`shuangjian_eval.publication.briefing.Briefing.render` does).

    The figures are created at that dpi, outside pyplot, with an Agg canvas, so that laying
    them out and drawing them use one renderer (and its cache of text metrics); a figure of
    the same size built later in such a context (in the same thread) is the same Figure,
    cleared, so the caller must be done with one figure before building the next. Axes titles
    are set at the top of their Axes without being measured against what stands above it:
    once drawn, a figure for which :func:`titles_unobstructed` is False must be built again
    outside this context. What the figures show, and where, is otherwise the same.
    """
    token = _RASTER_DPI.set(float(dpi))
    try:
        yield
    finally:
        _RASTER_DPI.reset(token)


def titles_unobstructed(fig: Figure) -> bool:
    """Whether the titles of a drawn figure built inside :func:`raster_dpi` stand where
    matplotlib would have placed them by measuring: no x tick labels or x-axis label on top
    of an Axes, and no y-axis offset text (such as "1e6") over it."""
    for ax in fig.axes:
        xaxis, offset = ax.xaxis, ax.yaxis.get_offset_text()
        if xaxis.get_label_position() == "top" and xaxis.label.get_text():
            return False
        if any(tick.label2.get_visible() for tick in xaxis.get_major_ticks()):
            return False
        if any(tick.label2.get_visible() for tick in xaxis.get_minor_ticks()):
            return False
        if offset.get_visible() and offset.get_text():
            return False
    return True


_raster_figures = threading.local()


def _reused_figure(figsize: tuple[float, float], dpi: float) -> Figure:
    """An empty figure of this size and dpi with an Agg canvas: inside :func:`raster_dpi`,
    the one built last time, cleared, so that its renderer's cache of text metrics (labels,
    legends and notes recur from chart to chart) is kept."""
    figures = getattr(_raster_figures, "by_size", None)
    if figures is None:
        figures = _raster_figures.by_size = {}
    key = (float(figsize[0]), float(figsize[1]), dpi)
    fig = figures.get(key)
    if fig is None:
        fig = figures[key] = Figure(figsize=figsize)
        FigureCanvasAgg(fig)
        return fig
    for ax in fig.axes:  # removed without clearing them first, as fig.clear() would
        fig.delaxes(ax)
    fig.clear()  # also resets the subplot parameters to the rcParams
    fig.set_layout_engine(None)
    fig.set_facecolor(mpl.rcParams["figure.facecolor"])
    fig.set_edgecolor(mpl.rcParams["figure.edgecolor"])
    return fig


def new_figure(figsize: tuple[float, float], **subplots: Any) -> tuple[Figure, Any]:
    """A figure and its axes, not left open in pyplot's registry (no file is written).

    The figure is created through pyplot (so a notebook's inline backend knows how to show a
    returned figure) and closed at once (so it is shown once, and batch runs do not accumulate
    open figures); closing leaves a canvas that cannot draw, so an Agg canvas is attached:
    ``fig.canvas.draw()`` renders, and ``fig.savefig`` works as usual. Inside
    :func:`raster_dpi` the figure is not meant to be shown, and pyplot is not involved.
    """
    dpi = _RASTER_DPI.get()
    if dpi is not None:
        fig = _reused_figure(figsize, dpi)
        return fig, fig.subplots(**subplots)
    fig, axes = plt.subplots(figsize=figsize, **subplots)
    plt.close(fig)
    FigureCanvasAgg(fig)
    return fig, axes


def tight_layout_once(fig: Figure, ax: Axes, rect: tuple[float, float, float, float]) -> None:
    """``fig.tight_layout(rect=rect)`` for a figure of one Axes, measured in one pass.

    Matplotlib measures the decorations (tick labels, axis labels, title, legend) twice when
    given a ``rect``, with the same result; this measures them once, with the renderer of the
    figure's canvas, and places the Axes as it would (``pad`` 1.08 times the font size).
    Falls back to ``fig.tight_layout`` when the decorations do not fit.
    """
    renderer = fig.canvas.get_renderer()
    tight = ax.get_tightbbox(renderer, for_layout_only=True)
    if tight is None:
        fig.tight_layout(rect=rect)
        return
    tight = fig.transFigure.inverted().transform_bbox(tight)
    box = ax.get_subplotspec().get_position(fig)
    width, height = fig.get_size_inches()
    pad = 1.08 * mpl.rcParams["font.size"] / 72
    left = rect[0] + max(box.x0 - tight.x0, 0) + pad / width
    right = rect[2] - max(tight.x1 - box.x1, 0) - pad / width
    bottom = rect[1] + max(box.y0 - tight.y0, 0) + pad / height
    top = rect[3] - max(tight.y1 - box.y1, 0) - pad / height
    if left >= right or bottom >= top:
        fig.tight_layout(rect=rect)
        return
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)


def wrap_text(text: str, width_in: float, fontsize: float = 8.5) -> str:
    """Wrap ``text`` to lines that fit ``width_in`` inches (CJK characters are one em wide,
    Latin ones about half)."""
    em = fontsize / 72.0
    lines, line, used = [], "", 0.0
    for token in re.findall(
        r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+", text
    ):
        wide = sum(1.0 if "\u2e80" <= ch <= "\uffef" else 0.52 for ch in token.rstrip()) * em
        if line and used + wide > width_in:
            lines.append(line.rstrip())
            line, used = "", 0.0
            token = token.lstrip()
        line += token
        used += sum(1.0 if "\u2e80" <= ch <= "\uffef" else 0.52 for ch in token) * em
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def add_note(fig: Figure, text: str, y: float = 0.005) -> int:
    """A footnote at the bottom left of the figure, wrapped to its width; returns the number
    of lines."""
    wrapped = wrap_text(text, fig.get_figwidth() * 0.97)
    fig.text(0.01, y, wrapped, ha="left", va="bottom", fontsize=8.5, color="#444444")
    return wrapped.count("\n") + 1


def is_axes(ax: Any) -> bool:
    return isinstance(ax, Axes)


register_font()
