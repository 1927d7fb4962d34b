"""PRISMA 2020 flow diagram of a review's funnel, drawn with matplotlib.

Example::

    >>> from msc_mine.funnel import load_funnel
    >>> from msc_mine.prisma import write_prisma
    >>> funnel = load_funnel("outputs/msc_iv_safety/funnel.json")   # doctest: +SKIP
    >>> write_prisma(funnel, "outputs/msc_iv_safety")                # doctest: +SKIP
    (PosixPath('outputs/msc_iv_safety/prisma.svg'), PosixPath('outputs/msc_iv_safety/prisma.png'))

The layout is the PRISMA 2020 template for new reviews searching databases: a left column
of boxes (identified, screened, assessed at each later stage, included) joined by arrows,
and beside each a box of what left the flow there (duplicates; exclusions with a count per
reason; records set aside for a manual check). Blue phase bars on the left name the phases.
Box heights follow their line counts, so long reason lists never overlap.

Output is byte-for-byte reproducible: the SVG hash salt is fixed and the date/creator
metadata are dropped, so a rerun over the same funnel rewrites identical files.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from msc_mine.funnel import Funnel

# Readable labels for codebook reasons; unknown ones fall back to the code with spaces.
REASON_LABELS = {
    "retracted": "Retracted",
    "review": "Review or meta-analysis",
    "animal": "Animal study",
    "in_vitro": "In vitro study",
    "protocol": "Protocol without results",
    "cell_derived_product": "Cell-derived product (exosomes, secretome)",
    "hsc": "Haematopoietic / mononuclear cells, no MSCs",
    "genetically_modified": "Genetically modified MSCs",
    "combined_intervention": "MSCs combined with drug, scaffold or surgery",
    "non_iv_route": "Route not intravenous",
    "no_safety_reporting": "Serious adverse events not reported",
    "other": "Other (not a stem-cell therapy study)",
}

FONT = 9.5
TITLE_FONT = 12
LINE = 0.19  # inches per text line at FONT
PAD = 0.14  # inner padding of a box, inches
MIN_ROW = 0.95  # inches: tall enough for the longest rotated phase label
GAP = 0.42  # vertical gap between rows (room for the arrow)
FIG_W = 10.0
BAR_X, BAR_W = 0.15, 0.38
LEFT_X, LEFT_W = 0.75, 4.15
RIGHT_X, RIGHT_W = 5.45, 4.4
BOX_FACE = "#ffffff"
BAR_FACE = "#cfe2f3"
EDGE = "#333333"


@dataclass
class _Row:
    phase: str
    left: list[str]
    right: list[list[str]]  # one or more boxes stacked on the right


def reason_label(code: str) -> str:
    return REASON_LABELS.get(code, code.replace("_", " ").capitalize())


def _rows(f: Funnel, max_sources: int = 20) -> list[_Row]:
    sources = [f"    {name}: n = {n:,}" for name, n in f.identified.items()]
    if len(sources) > max_sources:
        # A long list of input files would dwarf the diagram; the JSON keeps them all.
        rest = sum(list(f.identified.values())[max_sources - 1 :])
        more = len(f.identified) - max_sources + 1
        sources = [*sources[: max_sources - 1], f"    {more} more: n = {rest:,}"]
    rows = [
        _Row(
            "Identification",
            [
                f"Records identified from {f.sources_label}",
                f"(n = {f.identified_total:,})",
                *sources,
            ],
            [
                [
                    "Records removed before screening:",
                    f"    Duplicate records (n = {f.duplicates:,})",
                ]
            ],
        )
    ]
    for i, stage in enumerate(f.stages):
        counts = f.excluded[stage]
        title = "Records screened" if i == 0 else "Records assessed for eligibility"
        if i > 1:
            title = f"Records assessed at {stage} stage"
        reasons = [f"    {reason_label(code)} (n = {n:,})" for code, n in counts.reasons.items()]
        right = [[f"Records excluded at {stage} stage", f"(n = {counts.excluded:,})", *reasons]]
        phase = "Screening"
        if i == len(f.stages) - 1:
            maybe_lines = [
                f"    {rule.replace('_', ' ')} (n = {n:,})" for rule, n in f.maybe.items()
            ]
            right.append(
                [
                    "Records set aside for manual check",
                    f"(maybe; n = {f.maybe_total:,})",
                    *maybe_lines,
                ]
            )
            phase = "Eligibility" if len(f.stages) > 1 else "Screening"
        rows.append(_Row(phase, [title, f"(n = {counts.assessed:,})"], right))
    rows.append(_Row("Included", ["Studies included in review", f"(n = {f.included:,})"], []))
    return rows


def _height(lines: list[str]) -> float:
    return len(lines) * LINE + 2 * PAD


def draw_prisma(f: Funnel) -> Figure:
    """The diagram as a matplotlib ``Figure`` (not attached to pyplot: no global state)."""
    rows = _rows(f)
    heights = []
    for row in rows:
        right_h = sum(_height(b) for b in row.right) + GAP / 2 * max(len(row.right) - 1, 0)
        # The floor keeps each rotated phase label inside its bar.
        heights.append(max(_height(row.left), right_h, MIN_ROW))
    title_h = 0.55
    total_h = title_h + sum(heights) + GAP * (len(rows) - 1) + 0.2
    fig = Figure(figsize=(FIG_W, total_h))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, FIG_W)
    ax.set_ylim(total_h, 0)  # y grows downward, like reading the diagram
    ax.axis("off")
    ax.text(
        FIG_W / 2,
        0.3,
        f"PRISMA 2020 flow diagram: {f.review}",
        ha="center",
        va="center",
        fontsize=TITLE_FONT,
        fontweight="bold",
    )

    y = title_h
    left_boxes: list[tuple[float, float]] = []
    phase_spans: dict[str, list[float]] = {}
    for row, h in zip(rows, heights, strict=True):
        left_h = _height(row.left)
        top = y + (h - left_h) / 2
        _box(ax, LEFT_X, top, LEFT_W, left_h, row.left, bold_first=True)
        left_boxes.append((top, top + left_h))
        ry = (
            y
            + (h - (sum(_height(b) for b in row.right) + GAP / 2 * max(len(row.right) - 1, 0))) / 2
        )
        for box in row.right:
            bh = _height(box)
            _box(ax, RIGHT_X, ry, RIGHT_W, bh, box, bold_first=True)
            _arrow(ax, (LEFT_X + LEFT_W, top + left_h / 2), (RIGHT_X, ry + bh / 2))
            ry += bh + GAP / 2
        span = phase_spans.setdefault(row.phase, [y, y + h])
        span[1] = y + h
        y += h + GAP
    for (_, bottom), (next_top, _) in itertools.pairwise(left_boxes):
        _arrow(ax, (LEFT_X + LEFT_W / 2, bottom), (LEFT_X + LEFT_W / 2, next_top))
    for phase, (top, bottom) in phase_spans.items():
        ax.add_patch(
            FancyBboxPatch(
                (BAR_X, top),
                BAR_W,
                bottom - top,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor=BAR_FACE,
                edgecolor=EDGE,
                linewidth=0.8,
            )
        )
        ax.text(
            BAR_X + BAR_W / 2,
            (top + bottom) / 2,
            phase,
            rotation=90,
            ha="center",
            va="center",
            fontsize=FONT,
            fontweight="bold",
        )
    return fig


def _box(
    ax: Axes, x: float, y: float, w: float, h: float, lines: list[str], bold_first: bool
) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x, y), w, h, boxstyle="square,pad=0", facecolor=BOX_FACE, edgecolor=EDGE, linewidth=1.0
        )
    )
    for i, line in enumerate(lines):
        ax.text(
            x + PAD,
            y + PAD + (i + 0.5) * LINE,
            line,
            ha="left",
            va="center",
            fontsize=FONT,
            fontweight="bold" if bold_first and i == 0 else "normal",
        )


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=14,
            color=EDGE,
            linewidth=1.1,
            shrinkA=0,
            shrinkB=0,
        )
    )


def write_prisma(
    f: Funnel, out_dir: str | Path, stem: str = "prisma", dpi: int = 150
) -> tuple[Path, Path]:
    """Write ``<stem>.svg`` and ``<stem>.png`` into ``out_dir``; return both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    svg, png = out / f"{stem}.svg", out / f"{stem}.png"
    # A fixed salt makes the SVG's element ids repeatable; dropping Date/Creator removes the
    # only other run-dependent bytes, so reruns are byte-identical.
    with matplotlib.rc_context(
        {"svg.hashsalt": "msc-mine", "svg.fonttype": "path", "font.family": "DejaVu Sans"}
    ):
        fig = draw_prisma(f)
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
        fig.savefig(png, format="png", dpi=dpi, metadata={"Software": None})
    return svg, png
