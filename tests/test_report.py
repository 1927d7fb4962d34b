"""report.html: one self-contained page built from a review's outputs.

The demo review runs once with the real extraction; each test copies its outputs and adds
fixture files written here to the contracts of ``msc-mine pool`` (pool.json, forest/*.svg)
and ``msc-mine refresh`` (changes/<date>.json). The page is parsed with lxml.html.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml.html import HtmlElement
from typer.testing import CliRunner

from msc_mine.cli import app
from msc_mine.errors import UsageError
from msc_mine.pipeline import load_pipeline
from msc_mine.report import (
    SCRIPT,
    format_dose,
    highlight,
    inline_svg,
    split_include_evidence,
    write_report,
)
from msc_mine.review import run_review

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "corpora" / "demo"
PIPELINE_FILE = REPO / "pipelines" / "msc_iv_safety.toml"
IV = load_pipeline(PIPELINE_FILE)
SECTIONS = ("search", "funnel", "included", "pool", "maybe", "changes", "method")
HOSTILE = "<script>alert('x')</script> & \"quoted\" <b>bold</b>"

# Two figures as matplotlib writes them: same ids, clip paths and glyph references.
FOREST_SVG = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="504pt" height="288pt"
 viewBox="0 0 504 288" xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
 <defs><path id="DejaVuSans-41" d="M 0 0 L 10 10"/>
 <clipPath id="p0a1b2c3"><rect x="10" y="10" width="400" height="200"/></clipPath></defs>
 <g id="figure_1"><g id="axes_1" clip-path="url(#p0a1b2c3)">
 <use xlink:href="#DejaVuSans-41" x="20" y="20"/><text>{title}</text></g></g>
</svg>
"""


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_review(IV, inputs=[DEMO / "demo.xml", DEMO / "demo_extra.nbib"], out_dir=out)
    return out


@pytest.fixture
def out(demo_outputs: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo outputs (without the database) a test may change."""
    copy = tmp_path / "review"
    shutil.copytree(demo_outputs, copy, ignore=shutil.ignore_patterns("*.sqlite*"))
    return copy


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def add_pool(out: Path, categories: tuple[str, ...] = ("sae", "fever")) -> dict[str, Any]:
    results = []
    for i, category in enumerate(categories):
        for method in ("dl", "reml"):
            results.append(
                {
                    "category": category,
                    "subgroup": None,
                    "method": method,
                    "k": 12,
                    "n_patients": 300 + i,
                    "events": 9 + i,
                    "estimate": 0.041 + i / 100,
                    "ci_low": 0.018,
                    "ci_high": 0.09,
                    "tau2": 0.2134,
                    "i2": 31.2,
                    "note": "" if i else "zero-event studies corrected",
                }
            )
    pool = {
        "review": "msc_iv_safety",
        "methods": ["dl", "reml"],
        "continuity_correction": 0.5,
        "by": None,
        "results": results,
    }
    (out / "pool.json").write_text(json.dumps(pool), encoding="utf-8")
    (out / "forest").mkdir()
    for category in categories:
        svg = FOREST_SVG.format(title=f"{category} &amp; more")
        (out / "forest" / f"{category}.svg").write_text(svg, encoding="utf-8")
    return pool


def add_changes(out: Path, title: str = "A new trial") -> dict[str, Any]:
    included = read_csv(out / "included.csv")
    (out / "changes").mkdir()
    older = {"date": "2026-11-24", "review": "msc_iv_safety", "summary": "nothing new"}
    (out / "changes" / "2026-11-24.json").write_text(json.dumps(older), encoding="utf-8")
    latest = {
        "date": "2026-12-01",
        "review": "msc_iv_safety",
        "previous_run": "2026-11-24T02:00:00+00:00",
        "retractions": [
            {"pmid": "90000099", "title": "Never included", "was_included": False},
            {"pmid": included[0]["pmid"], "title": included[0]["title"], "was_included": True},
        ],
        "new_records": [{"pmid": "90000100", "title": title}],
        "new_inclusions": [{"pmid": "90000100", "title": title}],
        "changed_decisions": [
            {
                "pmid": included[1]["pmid"],
                "title": included[1]["title"],
                "old": {"include": "maybe", "exclude_reason": "", "rule_id": "route_not_stated"},
                "new": {"include": "yes", "exclude_reason": "", "rule_id": ""},
                "reason": "the revised abstract states the route",
            }
        ],
        "changed_values": [
            {"pmid": included[2]["pmid"], "field": "n_patients", "old": "12", "new": "16"}
        ],
        "summary": "1 new record, 1 new inclusion, 1 included study retracted",
    }
    (out / "changes" / "2026-12-01.json").write_text(json.dumps(latest), encoding="utf-8")
    # Only dated reports count: a stray file must not pass for the latest one.
    (out / "changes" / "notes.json").write_text(json.dumps(older), encoding="utf-8")
    return latest


def page(path: Path) -> HtmlElement:
    doc: HtmlElement = lxml.html.fromstring(path.read_bytes())
    return doc


def section(doc: HtmlElement, sid: str) -> HtmlElement:
    found = doc.xpath(f'//section[@id="{sid}"]')
    assert len(found) == 1, sid
    result: HtmlElement = found[0]
    return result


def text(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def table_pmids(doc: HtmlElement, table_id: str) -> list[str]:
    """The PMID of each row: its first cell, or the PMID link in the study cell."""
    pmids = []
    for tr in doc.xpath(f'//table[@id="{table_id}"]/tbody/tr'):
        link = tr.xpath(".//span[@class='pmid']/a")
        pmids.append(text(link[0]) if link else text(tr.xpath("./td[1]")[0]))
    return pmids


# -- structure ---------------------------------------------------------------------------


def test_every_section_is_there_in_order_with_the_header_facts(out: Path) -> None:
    path = write_report(out, IV)
    assert path == out / "report.html"
    doc = page(path)
    assert [s.get("id") for s in doc.xpath("//section")] == list(SECTIONS)
    nav = [a.get("href") for a in doc.xpath("//nav//a")]
    assert nav == [f"#{s}" for s in SECTIONS]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert text(doc.xpath("//h1")[0]) == IV.title
    header = text(doc.xpath("//header")[0])
    assert IV.citation in header
    assert manifest["finished"] in header
    assert f"msc-mine {manifest['software']['version']}" in header
    assert manifest["extractor_version"] in header
    # The search: both input files with their record counts, and the pipeline's queries.
    search = text(section(doc, "search"))
    for item in manifest["inputs"]:
        assert item["path"] in search
    assert len(section(doc, "search").xpath(".//code[@class='query']")) == len(IV.search.queries)


def test_funnel_counts_equal_funnel_json(out: Path) -> None:
    doc = page(write_report(out, IV))
    funnel = json.loads((out / "funnel.json").read_text(encoding="utf-8"))
    shown = {td.get("data-key"): text(td) for td in section(doc, "funnel").xpath(".//td")}
    expected = {
        "identified": funnel["identified"]["total"],
        "duplicates": funnel["duplicates"],
        "screened": funnel["screened"],
        "maybe": funnel["maybe"]["total"],
        "included": funnel["included"],
    }
    expected.update({f"identified.{k}": v for k, v in funnel["identified"]["per_source"].items()})
    for stage, c in funnel["excluded"].items():
        expected[f"excluded.{stage}.assessed"] = c["assessed"]
        expected[f"excluded.{stage}.total"] = c["total"]
        expected.update({f"excluded.{stage}.{r}": n for r, n in c["reasons"].items()})
    expected.update({f"maybe.{r}": n for r, n in funnel["maybe"]["rules"].items()})
    assert shown == {k: str(v) for k, v in expected.items()}
    # The PRISMA diagram is inline, not a reference to prisma.svg.
    assert len(section(doc, "funnel").xpath(".//figure//svg")) == 1


def test_one_row_per_included_study_with_the_evidence_of_each_value(out: Path) -> None:
    doc = page(write_report(out, IV))
    included = read_csv(out / "included.csv")
    funnel = json.loads((out / "funnel.json").read_text(encoding="utf-8"))
    assert included and len(included) == funnel["included"]
    assert table_pmids(doc, "included-table") == [r["pmid"] for r in included]
    rows = doc.xpath('//table[@id="included-table"]/tbody/tr')
    headers = [text(th) for th in doc.xpath('//table[@id="included-table"]/thead//th')]
    route_col = headers.index("Route")
    for row, expected in zip(rows, included, strict=True):
        cell = row.xpath("./td")[route_col]
        assert text(cell.xpath(".//summary")[0]) == expected["route"].replace(";", "; ")
        sentences = [text(s) for s in cell.xpath(".//div[@class='ev']/span")]
        assert sentences == expected["route_evidence"].split(" | ")
        # The value is marked where the sentence says it (intravenous, infused, ...).
        assert cell.xpath(".//div[@class='ev']//mark")
        # Printed, each value is introduced by its column name (the header is not repeated).
        labels = [td.get("data-label") for td in row.xpath("./td")[1:]]
        assert labels == headers[1:]
        link = row.xpath(".//span[@class='pmid']/a")[0]
        assert link.get("href") == f"https://pubmed.ncbi.nlm.nih.gov/{expected['pmid']}/"


def test_maybe_list_equals_maybe_csv_with_rule_and_reason(out: Path) -> None:
    doc = page(write_report(out, IV))
    maybe = read_csv(out / "maybe.csv")
    assert maybe, "the demo leaves records for a human to check"
    assert table_pmids(doc, "maybe-table") == [r["pmid"] for r in maybe]
    for row, expected in zip(doc.xpath('//table[@id="maybe-table"]/tbody/tr'), maybe, strict=True):
        rule, reason, _ = split_include_evidence(expected["include_evidence"])
        cells = [text(td) for td in row.xpath("./td")]
        assert cells[2:4] == [rule, reason]


def test_the_page_references_nothing_outside_itself(out: Path) -> None:
    add_pool(out)
    add_changes(out)
    doc = page(write_report(out, IV))
    allowed = ("https://pubmed.ncbi.nlm.nih.gov/", "https://doi.org/")
    assert not doc.xpath("//link | //img | //iframe | //object | //embed | //script[@src]")
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if name in ("src", "srcset", "data", "action", "poster"):
                pytest.fail(f"<{el.tag} {name}={value!r}>")
            if name.endswith("href") and not value.startswith("#"):
                assert el.tag == "a" and value.startswith(allowed), (el.tag, value)
    raw = (out / "report.html").read_text(encoding="utf-8")
    assert "@import" not in raw
    assert not re.search(r"url\(\s*['\"]?(https?:|//|data:)", raw)


def test_inline_svgs_keep_ids_unique_and_references_resolved(out: Path) -> None:
    add_pool(out)
    raw = write_report(out, IV).read_text(encoding="utf-8")
    assert "<?xml" not in raw and "<!DOCTYPE svg" not in raw and "<metadata" not in raw
    ids = re.findall(r'\bid="([^"]+)"', raw)
    assert len(ids) == len(set(ids))
    refs = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', raw))
    for groups in refs:
        target = next(g for g in groups if g)
        assert target in ids, target
    doc = page(out / "report.html")
    assert len(section(doc, "pool").xpath(".//figure//svg")) == 2


def test_hostile_text_is_escaped_everywhere(out: Path) -> None:
    rows = read_csv(out / "table.csv")
    target = next(r for r in rows if r["include"] == "yes")
    target["title"] = HOSTILE
    target["route_evidence"] = "<img src=x onerror=alert(1)> given intravenous"
    target["journal"] = "</td></tr></table><h1>x</h1>"
    write_csv(out / "table.csv", rows)
    add_changes(out, title=HOSTILE)
    path = write_report(out, IV)
    doc = page(path)
    scripts = doc.xpath("//script")
    assert len(scripts) == 1 and scripts[0].text == SCRIPT
    assert not doc.xpath("//img") and len(doc.xpath("//h1")) == 1
    assert not doc.xpath("//body//b")
    rows = doc.xpath('//table[@id="included-table"]/tbody/tr')
    study = rows[table_pmids(doc, "included-table").index(target["pmid"])]
    assert text(study.xpath(".//span[@class='title']")[0]) == HOSTILE
    assert HOSTILE in text(section(doc, "changes"))
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in path.read_text(encoding="utf-8")


def test_two_writes_give_identical_bytes(out: Path) -> None:
    add_pool(out)
    add_changes(out)
    first = write_report(out, IV).read_bytes()
    second = write_report(out, IV).read_bytes()
    assert first == second
    assert not list(out.glob(".report.html.*"))  # no temporary file left behind


def test_without_pool_or_changes_the_page_says_how_to_get_them(out: Path) -> None:
    doc = page(write_report(out, IV))
    assert "msc-mine pool" in text(section(doc, "pool"))
    assert not section(doc, "pool").xpath(".//table | .//svg")
    assert "msc-mine refresh" in text(section(doc, "changes"))
    assert not section(doc, "changes").xpath(".//table")


def test_pool_and_changes_fixtures_are_shown(out: Path) -> None:
    pool = add_pool(out)
    changes = add_changes(out)
    doc = page(write_report(out, IV))
    body = doc.xpath('//table[@id="pool-table"]/tbody/tr')
    assert len(body) == len(pool["results"])
    first = [text(td) for td in body[0].xpath("./td")]
    expected = ["sae", "DL", "12", "300", "9", "4.1% (1.8–9.0)", "0.213", "31%"]
    assert first == [*expected, "zero-event studies corrected"]
    captions = [text(c) for c in section(doc, "pool").xpath(".//figcaption")]
    assert captions == ["Forest plot: sae.", "Forest plot: fever."]
    ch = section(doc, "changes")
    headings = [text(h) for h in ch.xpath(".//h3")]
    assert headings[:2] == ["Retractions", "New inclusions"]
    # The retraction of an included study comes first, flagged.
    retracted = ch.xpath(".//div[@class='retractions']//tbody/tr")
    assert text(retracted[0].xpath("./td[1]")[0]) == changes["retractions"][1]["pmid"]
    assert "now excluded" in text(retracted[0])
    assert changes["summary"] in text(ch)
    assert "1 earlier change report " in text(ch)
    assert "rule route_not_stated" in text(ch)


def test_pipeline_is_read_from_the_manifest_when_unchanged(out: Path, tmp_path: Path) -> None:
    doc = page(write_report(out))
    assert text(doc.xpath("//h1")[0]) == IV.title
    # A pipeline edited since the run is not used: its rules are not the ones applied.
    edited = tmp_path / "edited.toml"
    edited.write_text(PIPELINE_FILE.read_text(encoding="utf-8") + "\n# edited\n", "utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["pipeline"]["path"] = str(edited)
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    doc = page(write_report(out))
    assert text(doc.xpath("//h1")[0]) == "msc_iv_safety"
    assert "msc-mine report PIPELINE" in text(doc.xpath("//header")[0])


def test_a_folder_without_a_review_run_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="run `msc-mine review` first"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


# -- pieces ------------------------------------------------------------------------------


def test_inline_svg_strips_what_a_page_must_not_carry_and_prefixes_ids() -> None:
    svg = FOREST_SVG.replace(
        '<g id="figure_1">', '<script>alert(1)</script><g id="figure_1" onload="x()">'
    ).replace("<text>", '<a xlink:href="https://example.org/"><text>')
    result = inline_svg(svg.format(title="t"), "f0-", "Forest plot")
    assert result.startswith("<svg ")
    assert "<script" not in result and "onload" not in result and "example.org" not in result
    assert 'id="f0-figure_1"' in result and "url(#f0-p0a1b2c3)" in result
    assert 'xlink:href="#f0-DejaVuSans-41"' in result
    assert 'width="504pt"' not in result and 'style="max-width:504pt"' in result
    assert 'aria-label="Forest plot"' in result


def test_highlight_marks_whole_words_and_escapes_the_rest() -> None:
    assert highlight("<i>IV</i> intravenous, intravenously", ["intravenous"]) == (
        "&lt;i&gt;IV&lt;/i&gt; <mark>intravenous</mark>, intravenously"
    )
    assert highlight("a & b", []) == "a &amp; b"


@pytest.mark.parametrize(
    ("low", "high", "unit", "shown"),
    [
        ("1000000", "2000000", "cells/kg", "1–2 × 10<sup>6</sup> cells/kg"),
        ("100000000", "100000000", "cells", "1 × 10<sup>8</sup> cells"),
        ("2100000", "3600000", "cells/kg", "2.1–3.6 × 10<sup>6</sup> cells/kg"),
        ("1000000", "10000000", "cells/kg", "1 × 10<sup>6</sup> – 1 × 10<sup>7</sup> cells/kg"),
        ("", "", "not_stated", "not_stated"),
    ],
)
def test_doses_read_as_powers_of_ten(low: str, high: str, unit: str, shown: str) -> None:
    assert format_dose(low, high, unit) == shown


# -- command line ------------------------------------------------------------------------


def test_cli_writes_the_report_and_refuses_a_folder_without_a_run(
    out: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["report", str(PIPELINE_FILE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out / "report.html")
    assert (out / "report.html").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["report", "--out", str(empty)])
    assert isinstance(result.exception, UsageError)
    assert "run `msc-mine review` first" in str(result.exception)


def test_forest_plots_are_found_under_the_names_msc_mine_pool_gives_them(out: Path) -> None:
    # `msc-mine pool --by route` writes forest/<category slug>__route.svg.
    results = [
        {"category": "urinary tract infection", "subgroup": sub, "method": m, "k": 2}
        for sub in ("intravenous", "intra_arterial")
        for m in ("dl", "reml")
    ]
    pool = {"methods": ["dl", "reml"], "continuity_correction": 0.5, "by": "route"}
    pool["results"] = results
    (out / "pool.json").write_text(json.dumps(pool), encoding="utf-8")
    (out / "forest").mkdir()
    svg = FOREST_SVG.format(title="uti")
    (out / "forest" / "urinary_tract_infection__route.svg").write_text(svg, encoding="utf-8")
    doc = page(write_report(out, IV))
    assert len(section(doc, "pool").xpath(".//figure//svg")) == 1
    # One block per category and subgroup: names shown on its first row only.
    table = doc.xpath('//table[@id="pool-table"]/tbody/tr')
    rows = [[text(td) for td in tr.xpath("./td")[:3]] for tr in table]
    assert rows == [
        ["urinary tract infection", "intravenous", "DL"],
        ["", "", "REML"],
        ["urinary tract infection", "intra_arterial", "DL"],
        ["", "", "REML"],
    ]


def test_the_latest_of_several_same_day_change_reports_is_shown(out: Path) -> None:
    add_changes(out)
    # refresh names a day's later reports <date>-2.json, -3 ...; plain name order would put
    # "2026-12-01-2.json" before "2026-12-01.json".
    for suffix, summary in (("-2", "second refresh"), ("-10", "tenth refresh")):
        later = {"date": "2026-12-01", "review": "msc_iv_safety", "summary": summary}
        (out / "changes" / f"2026-12-01{suffix}.json").write_text(json.dumps(later), "utf-8")
    ch = section(page(write_report(out, IV)), "changes")
    assert "tenth refresh" in text(ch)
    assert "second refresh" not in text(ch)
