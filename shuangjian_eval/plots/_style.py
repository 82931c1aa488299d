"""House style and the CJK font that ships with the install.

Importing :mod:`shuangjian_eval.plots` registers Noto Sans SC from the ``pylopdf_fonts_zh_cn``
package (SIL Open Font License 1.1) with matplotlib and puts it first in ``font.sans-serif``,
with common system CJK fonts behind it as fallbacks, so Chinese renders on a fresh install
without any system font. Charts are drawn in the house style: white background, light
horizontal grid, a restrained palette, and series told apart by marker, line style and hatch
as well as colour, so they read when printed in black and white.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator
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
    "register_font",
    "series_style",
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


@contextlib.contextmanager
def house_style() -> Iterator[None]:
    """Context in which charts are built: the house rcParams and the bundled font first."""
    register_font()
    with mpl.rc_context(STYLE):
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


def new_figure(figsize: tuple[float, float], **subplots: Any) -> tuple[Figure, Any]:
    """A figure and its axes, not left open in pyplot's registry (no file is written).

    The figure is created through pyplot (so a notebook's inline backend knows how to show a
    returned figure) and closed at once (so it is shown once, and batch runs do not accumulate
    open figures); closing leaves a canvas that cannot draw, so an Agg canvas is attached:
    ``fig.canvas.draw()`` renders, and ``fig.savefig`` works as usual.
    """
    fig, axes = plt.subplots(figsize=figsize, **subplots)
    plt.close(fig)
    FigureCanvasAgg(fig)
    return fig, axes


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
