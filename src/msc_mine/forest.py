"""Forest plots of pooled adverse-event proportions (matplotlib; PNG and SVG).

Example::

    >>> from msc_mine.pool import StudyCount, pool_category
    >>> from msc_mine.forest import write_forest
    >>> studies = [StudyCount("1", "Smith AB 2020 (1)", 2, 20),
    ...            StudyCount("2", "Lee C 2021 (2)", 0, 15)]
    >>> rows = [pool_category("fever", studies, m) for m in ("dl", "reml")]
    >>> svg, png = write_forest("fever", rows, "outputs/demo/forest")   # doctest: +SKIP
    >>> svg.name, png.name                                              # doctest: +SKIP
    ('fever.svg', 'fever.png')

One row per study: the label ``First author year (PMID)``, ``events/n``, the study's own
proportion (a square, sized by n) with its exact Clopper-Pearson 95% interval, and the
same figures as text on the right. Below, one diamond per pooling method (DerSimonian-
Laird, REML) spanning the 95% confidence interval, with k, patients, tau^2 and I^2. With
subgroups, each subgroup gets a header, its studies and its own diamonds, and the overall
diamonds come last. The x axis is the proportion of patients with the event.

The figure is 0.26 in per row, so 60 studies stay legible (about 17 in tall, 1,800 px at
the default 110 dpi). Output is byte-for-byte repeatable: a fixed SVG hash salt, text as
paths, and no date or software metadata.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.transforms import Transform

from msc_mine.atomic import Staging
from msc_mine.pool import PoolRow, StudyCount, clopper_pearson

__all__ = ["draw_forest", "forest_stem", "write_forest"]

ROW_H = 0.26  # inches per row
FIG_W = 11.0
LEFT_IN = 3.9  # label and events/n columns
RIGHT_IN = 2.5  # estimate [CI] column
TOP_IN, BOTTOM_IN = 0.75, 0.7
FONT = 8.5
METHOD_NAMES = {"dl": "DerSimonian-Laird", "reml": "REML"}
STUDY_COLOR = "#1f3b73"
DIAMOND_COLOR = {"dl": "#b03a2e", "reml": "#d68910"}


@dataclass
class _Line:
    kind: str  # "header", "study", "pooled", "note", "blank"
    text: str = ""
    study: StudyCount | None = None
    pooled: PoolRow | None = None


def forest_stem(category: str, by: str | None = None) -> str:
    """File stem for a category's plot: ``fever``, ``urinary_tract_infection__route``."""
    slug = re.sub(r"[^a-z0-9_-]+", "_", category.lower()).strip("_") or "category"
    return f"{slug}__{by}" if by else slug


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}%"


def _interval(row: PoolRow) -> str:
    if row.estimate is None:
        return ""
    return f"{_pct(row.estimate)} [{_pct(row.ci_low)}, {_pct(row.ci_high)}]"


def _pooled_label(row: PoolRow) -> str:
    head = f"{METHOD_NAMES.get(row.method, row.method)}: k={row.k}, n={row.n_patients}"
    if row.tau2 is not None and row.i2 is not None:
        head += f", tau²={row.tau2:.2f}, I²={row.i2:.0f}%"
    return head


def _lines(rows: Sequence[PoolRow]) -> list[_Line]:
    overall = [r for r in rows if r.subgroup is None]
    groups = sorted({r.subgroup for r in rows if r.subgroup is not None})
    lines: list[_Line] = []

    def block(block_rows: list[PoolRow]) -> None:
        if not block_rows:
            return
        studies = sorted(block_rows[0].studies, key=lambda s: (s.label.split(" (")[0], s.pmid))
        lines.extend(_Line("study", study=s) for s in studies)
        if len(studies) >= 2:
            lines.extend(_Line("pooled", pooled=r) for r in block_rows)
        elif studies:
            lines.append(_Line("note", "one study: not pooled"))

    if not groups:
        block(overall)
        return lines
    for g in groups:
        lines.append(_Line("header", str(g)))
        block([r for r in rows if r.subgroup == g])
        lines.append(_Line("blank"))
    lines.append(_Line("header", "All studies"))
    if overall and overall[0].k >= 2:
        lines.extend(_Line("pooled", pooled=r) for r in overall)
    return lines


def _x_max(rows: Sequence[PoolRow]) -> float:
    highs = [0.05]
    for r in rows:
        highs.extend(clopper_pearson(s.events or 0, s.n or 1)[1] for s in r.studies)
        if r.ci_high is not None:
            highs.append(r.ci_high)
    top = max(highs)
    return min(1.0, math.ceil(top * 10.5) / 10)  # next tenth, with a little room


def draw_forest(category: str, rows: Sequence[PoolRow], title: str = "") -> Figure:
    """The forest plot of one category's pooled rows (overall and/or subgroups)."""
    lines = _lines(rows)
    n = max(len(lines), 1)
    height = TOP_IN + BOTTOM_IN + ROW_H * (n + 1)
    fig = Figure(figsize=(FIG_W, height))
    ax = fig.add_axes(
        (
            LEFT_IN / FIG_W,
            BOTTOM_IN / height,
            (FIG_W - LEFT_IN - RIGHT_IN) / FIG_W,
            (height - TOP_IN - BOTTOM_IN) / height,
        )
    )
    x_max = _x_max(rows)
    ax.set_xlim(0, x_max)
    ax.set_ylim(n + 0.5, -0.5)  # first line at the top
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("Proportion of patients with the event (95% CI)", fontsize=FONT + 0.5)
    ax.tick_params(axis="x", labelsize=FONT)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    trans = ax.get_yaxis_transform()  # x in axes fraction, y in data
    label_x = -LEFT_IN / (FIG_W - LEFT_IN - RIGHT_IN) + 0.01
    count_x = -0.04
    right_x = 1.03
    header_y = -1.0
    for x, text, ha in (
        (label_x, "Study", "left"),
        (count_x, "events/n", "right"),
        (right_x, "Proportion [95% CI]", "left"),
    ):
        ax.text(x, header_y, text, transform=trans, ha=ha, va="center", fontsize=FONT,
                fontweight="bold", clip_on=False)  # fmt: skip
    max_n = max((s.n or 1 for r in rows for s in r.studies), default=1)
    for y, line in enumerate(lines):
        if line.kind == "header":
            ax.text(label_x, y, line.text, transform=trans, ha="left", va="center",
                    fontsize=FONT, fontweight="bold", clip_on=False)  # fmt: skip
        elif line.kind == "note":
            ax.text(label_x + 0.02, y, line.text, transform=trans, ha="left", va="center",
                    fontsize=FONT, style="italic", color="#555555", clip_on=False)  # fmt: skip
        elif line.kind == "study" and line.study is not None:
            _draw_study(ax, trans, y, line.study, max_n, label_x, count_x, right_x)
        elif line.kind == "pooled" and line.pooled is not None:
            _draw_pooled(ax, trans, y, line.pooled, label_x, right_x)
    fig.suptitle(title or f"{category}: proportion of patients with the event", fontsize=11,
                 x=0.02, ha="left", y=1 - 0.22 / height)  # fmt: skip
    return fig


def _draw_study(
    ax: Axes,
    trans: Transform,
    y: int,
    s: StudyCount,
    max_n: int,
    label_x: float,
    count_x: float,
    right_x: float,
) -> None:
    assert s.events is not None and s.n is not None
    p = s.events / s.n
    low, high = clopper_pearson(s.events, s.n)
    ax.plot([low, high], [y, y], color=STUDY_COLOR, linewidth=1.0, solid_capstyle="butt")
    size = 3.0 + 6.0 * math.sqrt(s.n / max_n)
    ax.plot([p], [y], marker="s", markersize=size, color=STUDY_COLOR, linestyle="none",
            clip_on=False)  # fmt: skip
    ax.text(label_x + 0.02, y, s.label, transform=trans, ha="left", va="center",
            fontsize=FONT, clip_on=False)  # fmt: skip
    ax.text(count_x, y, f"{s.events}/{s.n}", transform=trans, ha="right", va="center",
            fontsize=FONT, clip_on=False)  # fmt: skip
    ax.text(right_x, y, f"{_pct(p)} [{_pct(low)}, {_pct(high)}]", transform=trans,
            ha="left", va="center", fontsize=FONT, clip_on=False)  # fmt: skip


def _draw_pooled(
    ax: Axes,
    trans: Transform,
    y: int,
    r: PoolRow,
    label_x: float,
    right_x: float,
) -> None:
    if r.estimate is None or r.ci_low is None or r.ci_high is None:
        return
    color = DIAMOND_COLOR.get(r.method, "#444444")
    half = 0.32
    diamond = Polygon(
        [(r.ci_low, y), (r.estimate, y - half), (r.ci_high, y), (r.estimate, y + half)],
        closed=True,
        facecolor=color,
        edgecolor=color,
    )
    ax.add_patch(diamond)
    ax.text(label_x + 0.02, y, _pooled_label(r), transform=trans, ha="left", va="center",
            fontsize=FONT, fontweight="bold", color=color, clip_on=False)  # fmt: skip
    ax.text(right_x, y, _interval(r), transform=trans, ha="left", va="center",
            fontsize=FONT, fontweight="bold", color=color, clip_on=False)  # fmt: skip


def write_forest(
    category: str,
    rows: Sequence[PoolRow],
    out_dir: str | Path,
    by: str | None = None,
    dpi: int = 110,
    staging: Staging | None = None,
) -> tuple[Path, Path]:
    """Write ``<stem>.svg`` and ``<stem>.png`` (see :func:`forest_stem`); return both paths.

    With ``staging`` the files go to its temporary names and appear when it commits.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = forest_stem(category, by)
    svg, png = out / f"{stem}.svg", out / f"{stem}.png"
    svg_to, png_to = (staging.path(svg), staging.path(png)) if staging else (svg, png)
    title = f"{category}: proportion of patients with the event" + (f", by {by}" if by else "")
    # Fixed salt, text as paths and no date/software metadata: reruns write identical bytes.
    with matplotlib.rc_context(
        {"svg.hashsalt": "msc-mine", "svg.fonttype": "path", "font.family": "DejaVu Sans"}
    ):
        fig = draw_forest(category, rows, title)
        fig.savefig(svg_to, format="svg", metadata={"Date": None, "Creator": None})
        fig.savefig(png_to, format="png", dpi=dpi, metadata={"Software": None})
    return svg, png
