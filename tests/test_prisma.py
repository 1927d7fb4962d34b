"""The PRISMA diagram: files written, every count shown, reruns byte-identical."""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg

from msc_mine.codebook import Decision
from msc_mine.funnel import build_funnel
from msc_mine.pipeline import load_pipeline
from msc_mine.prisma import draw_prisma, reason_label, write_prisma

REPO = Path(__file__).resolve().parent.parent
IV = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")


def funnel():  # type: ignore[no-untyped-def]
    ds = [Decision(str(i), "yes", stage="eligibility") for i in range(117)]
    ds += [Decision(f"h{i}", "no", "hsc", "eligibility", "hsc_only") for i in range(40)]
    ds += [Decision(f"r{i}", "no", "review", "preliminary", "review_article") for i in range(9)]
    ds += [Decision(f"m{i}", "maybe", "", "eligibility", "route_not_stated") for i in range(4)]
    ident = {q.id: 20 for q in IV.search.queries}
    return build_funnel(IV, ident, ds)


def texts(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_diagram_shows_every_box_and_count() -> None:
    f = funnel()
    shown = "\n".join(texts(draw_prisma(f)))
    assert f"(n = {f.identified_total:,})" in shown
    assert f"Duplicate records (n = {f.duplicates:,})" in shown
    assert "Records screened\n" in shown + "\n" and "(n = 170)" in shown
    assert f"{reason_label('hsc')} (n = 40)" in shown
    assert f"{reason_label('review')} (n = 9)" in shown
    assert "(maybe; n = 4)" in shown and "Studies included in review" in shown
    assert "(n = 117)" in shown
    for q in IV.search.queries:
        assert f"{q.id}: n = 20" in shown


def test_text_lines_do_not_overlap() -> None:
    fig = draw_prisma(funnel())
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [
        t.get_window_extent(renderer) for ax in fig.axes for t in ax.texts if t.get_rotation() == 0
    ]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), "two text lines overlap in the PRISMA diagram"


def test_files_are_written_and_reruns_are_byte_identical(tmp_path: Path) -> None:
    svg, png = write_prisma(funnel(), tmp_path / "a")
    svg2, png2 = write_prisma(funnel(), tmp_path / "b")
    assert svg.read_bytes() == svg2.read_bytes()
    assert png.read_bytes() == png2.read_bytes()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    head = svg.read_text()[:2000]
    assert "<svg" in head and not re.search(r"<dc:date>", head)


def test_long_source_lists_are_folded() -> None:
    ds = [Decision(str(i), "yes", stage="eligibility") for i in range(3)]
    f = build_funnel(IV, {f"file{i:02}.xml": 1 for i in range(30)}, ds)
    assert f.duplicates == 27
    shown = texts(draw_prisma(f))
    # 19 files listed one by one, the other 11 folded into one line.
    assert "    11 more: n = 11" in shown
    assert "    file18.xml: n = 1" in shown and "    file19.xml: n = 1" not in shown
