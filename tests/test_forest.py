"""Forest plots: content, size at 60 studies, subgroups and byte-identical reruns."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.patches import Polygon
from matplotlib.text import Text
from PIL import Image

from msc_mine.forest import ROW_H, draw_forest, forest_stem, write_forest
from msc_mine.pool import PoolRow, StudyCount, pool_category


def _studies(k: int, subgroups: tuple[str, ...] = ("",)) -> list[StudyCount]:
    out = []
    for i in range(k):
        n = 10 + (i * 7) % 90
        events = 0 if i % 5 == 0 else (i * 3) % max(n // 4, 1)
        out.append(
            StudyCount(
                str(90000200 + i),
                f"Author{i:02d} AB {2005 + i % 18} ({90000200 + i})",
                events,
                n,
                subgroups[i % len(subgroups)],
            )
        )
    return out


def _rows(studies: list[StudyCount], by: bool = False) -> list[PoolRow]:
    rows = [pool_category("fever", studies, m) for m in ("dl", "reml")]
    if by:
        for g in sorted({s.subgroup for s in studies}):
            grp = [s for s in studies if s.subgroup == g]
            rows += [pool_category("fever", grp, m, g) for m in ("dl", "reml")]
    return rows


def _texts(fig: object) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]  # type: ignore[attr-defined]


def test_study_rows_labels_counts_and_diamonds() -> None:
    studies = _studies(5)
    fig = draw_forest("fever", _rows(studies))
    texts = _texts(fig)
    for s in studies:
        assert s.label in texts  # "First author year (PMID)"
        assert f"{s.events}/{s.n}" in texts
    assert "events/n" in texts
    assert any(t.startswith("DerSimonian-Laird: k=5") for t in texts)
    assert any(t.startswith("REML: k=5") for t in texts)
    diamonds = [p for p in fig.axes[0].patches if isinstance(p, Polygon)]
    assert len(diamonds) == 2
    # Proportions axis: 0 to at most 1.
    low, high = fig.axes[0].get_xlim()
    assert low == 0 and 0 < high <= 1


def test_height_scales_with_studies_so_sixty_stay_legible() -> None:
    small = draw_forest("fever", _rows(_studies(5)))
    large = draw_forest("fever", _rows(_studies(60)))
    h_small, h_large = small.get_size_inches()[1], large.get_size_inches()[1]
    assert h_large - h_small == pytest.approx(55 * ROW_H)  # 55 more study rows
    # Each row gets at least ROW_H inches: 60 rows never squeeze below that.
    assert h_large >= 62 * ROW_H


def test_single_study_has_no_diamond() -> None:
    fig = draw_forest("malignancy", _rows(_studies(1)))
    assert not [p for p in fig.axes[0].patches if isinstance(p, Polygon)]
    assert "one study: not pooled" in _texts(fig)


def test_subgroups_have_headers_and_their_own_diamonds() -> None:
    studies = _studies(12, ("allogeneic", "autologous"))
    fig = draw_forest("fever", _rows(studies, by=True))
    texts = _texts(fig)
    assert {"allogeneic", "autologous", "All studies"} <= set(texts)
    diamonds = [p for p in fig.axes[0].patches if isinstance(p, Polygon)]
    assert len(diamonds) == 6  # 2 methods x (2 subgroups + overall)


def test_rerun_writes_identical_bytes(tmp_path: Path) -> None:
    rows = _rows(_studies(60))
    a = write_forest("fever", rows, tmp_path / "a")
    b = write_forest("fever", rows, tmp_path / "b")
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name
    svg = a[0].read_text()
    assert "<dc:date>" not in svg
    png = Image.open(a[1])
    assert "Software" not in png.info
    # 110 dpi: a 60-study plot is well over 1,500 px tall.
    assert png.size[1] > 1500


def test_file_stems() -> None:
    assert forest_stem("fever") == "fever"
    assert forest_stem("urinary tract infection") == "urinary_tract_infection"
    assert forest_stem("fever", "allo_auto") == "fever__allo_auto"
