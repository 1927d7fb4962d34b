"""The review report: one self-contained HTML page a reviewer can send to a colleague.

Example::

    >>> from pathlib import Path
    >>> from msc_mine.pipeline import load_pipeline
    >>> from msc_mine.report import write_report
    >>> p = load_pipeline("pipelines/msc_iv_safety.toml")
    >>> write_report(Path("outputs/msc_iv_safety"), p)                 # doctest: +SKIP
    PosixPath('outputs/msc_iv_safety/report.html')

The page is built from the files a review run leaves in its output folder, never from the
database: ``manifest.json`` (what was searched or read, software and pipeline versions),
``funnel.json`` and ``prisma.svg`` (the PRISMA 2020 counts and diagram), ``table.csv`` (the
included studies, each value with its evidence sentence, and the ``maybe`` records with the
rule that flagged them), and when present ``pool.json`` with ``forest/<category>.svg``
(pooled safety estimates) and the latest ``changes/<date>.json`` (the last refresh).

Self-contained means no network: CSS and SVGs are inline, no fonts, images or scripts are
fetched; the only links are plain ``<a href>`` to PubMed and doi.org. A short inline script
sorts and filters the tables and opens every evidence box for printing, but the page reads
fully without it. Every text is escaped (titles and abstracts are untrusted input), and the
page is a function of those files alone: the one timestamp it shows is the run's
``finished`` time from the manifest, so writing it twice gives identical bytes.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from msc_mine.atomic import write_text_atomic
from msc_mine.errors import MscMineError, UsageError
from msc_mine.manifest import file_sha256
from msc_mine.pipeline import Pipeline, load_pipeline

REPORT_NAME = "report.html"
# changes/<YYYY-MM-DD>.json, then <YYYY-MM-DD>-2.json, -3 ... for later refreshes that day.
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.json$")
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{}/"
DOI_URL = "https://doi.org/{}"

# Extracted fields shown for each included study: (column, header). The dose is one column
# built from dose_low/dose_high/dose_unit, with the dose_low evidence.
STUDY_FIELDS: tuple[tuple[str, str], ...] = (
    ("conditions", "Condition"),
    ("study_design", "Design"),
    ("phase", "Phase"),
    ("route", "Route"),
    ("cell_source", "Cell source"),
    ("allo_auto", "Allo / auto"),
    ("dose", "Dose per administration"),
    ("n_infusions", "Infusions"),
    ("n_patients", "Patients"),
    ("sae_status", "SAE status"),
    ("sae_count", "SAEs"),
    ("sae_types", "SAE types"),
    ("nonserious_aes", "Non-serious AEs"),
)
NUMBER_FIELDS = frozenset({"n_infusions", "n_patients", "sae_count"})
# Words the text uses for a vocabulary value, beyond the value itself with spaces or
# hyphens: only to highlight the evidence, never to extract anything.
SURFACE_FORMS: dict[str, tuple[str, ...]] = {
    "intravenous": ("intravenously", "i.v.", "infusion", "infusions", "infused"),
    "intra_arterial": ("intra-arterially", "intraarterial"),
    "intrathecal": ("intrathecally",),
    "intramuscular": ("intramuscularly",),
    "intra_articular": ("intraarticular", "intra-articularly"),
    "bone_marrow": ("marrow",),
    "umbilical_cord": ("Wharton's jelly", "cord blood"),
    "adipose": ("adipose-derived", "adipose tissue", "stromal vascular fraction"),
    "allogeneic": ("allogenic",),
    "ipsc": ("iPSC", "iPSCs", "induced pluripotent"),
    "none_reported": ("no serious", "without serious", "no SAE", "no SAEs", "none of the"),
    "some_reported": ("serious adverse event", "serious adverse events", "SAE", "SAEs"),
}


@dataclass
class ReportInputs:
    """Everything the page shows, read from a review's output folder."""

    out_dir: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    funnel: dict[str, Any]
    included: list[dict[str, str]]
    maybe: list[dict[str, str]]
    prisma_svg: str | None = None
    pool: dict[str, Any] | None = None
    forest_svgs: dict[str, str] = field(default_factory=dict)  # category -> SVG text
    changes: dict[str, Any] | None = None
    changes_name: str = ""
    earlier_changes: int = 0


def write_report(out_dir: Path, pipeline: Pipeline | None = None) -> Path:
    """Write ``<out_dir>/report.html`` from the review outputs in ``out_dir``; return its path.

    ``pipeline`` adds the title, citation, searches and rules; without it the pipeline file
    named in the manifest is read when it is still the same file (same SHA-256).
    """
    out = Path(out_dir)
    inputs = load_inputs(out)
    if pipeline is None:
        pipeline = _manifest_pipeline(inputs.manifest)
    page = render_report(inputs, pipeline)
    path = out / REPORT_NAME
    # A reader (or a crashed run) never sees half a page; a killed run's leftover is one
    # that atomic.sweep knows.
    write_text_atomic(path, page)
    return path


# -- reading the outputs -----------------------------------------------------------------


def load_inputs(out_dir: Path) -> ReportInputs:
    """Read the review outputs the report needs; a clear error when the run never happened."""
    missing = [n for n in ("funnel.json", "table.csv") if not (out_dir / n).is_file()]
    if missing:
        raise UsageError(
            f"{out_dir}: no {' or '.join(missing)}: run `msc-mine review` first "
            "(the report is built from a review's outputs)"
        )
    manifest_path = out_dir / "manifest.json"
    manifest: dict[str, Any] = {}
    manifest_sha = ""
    if manifest_path.is_file():
        manifest = _read_json(manifest_path)
        manifest_sha = file_sha256(manifest_path)
    # table.csv is the whole screened set; included.csv and maybe.csv are its filters.
    # Only those rows are kept: a 20,000-record table need not sit in memory.
    rows = _read_csv(out_dir / "table.csv", keep=("yes", "maybe"))
    inputs = ReportInputs(
        out_dir=out_dir,
        manifest=manifest,
        manifest_sha256=manifest_sha,
        funnel=_read_json(out_dir / "funnel.json"),
        included=[r for r in rows if r.get("include") == "yes"],
        maybe=[r for r in rows if r.get("include") == "maybe"],
    )
    prisma = out_dir / "prisma.svg"
    if prisma.is_file():
        inputs.prisma_svg = prisma.read_text(encoding="utf-8")
    pool_path = out_dir / "pool.json"
    if pool_path.is_file():
        inputs.pool = _read_json(pool_path)
        by = inputs.pool.get("by")
        for category in _pool_categories(inputs.pool):
            svg = _forest_path(out_dir, category, str(by) if by else None)
            if svg is not None:
                inputs.forest_svgs[category] = svg.read_text(encoding="utf-8")
    changes_dir = out_dir / "changes"
    reports = (
        sorted(
            (p for p in changes_dir.glob("*.json") if _DATED.match(p.name)),
            key=_change_order,
        )
        if changes_dir.is_dir()
        else []
    )
    if reports:
        # Named by date and same-day suffix: the last in (date, suffix) order is the latest.
        inputs.changes = _read_json(reports[-1])
        inputs.changes_name = reports[-1].name
        inputs.earlier_changes = len(reports) - 1
    return inputs


def _change_order(path: Path) -> tuple[str, int]:
    m = _DATED.match(path.name)
    assert m is not None  # filtered above
    return m.group(1), int(m.group(2) or 1)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MscMineError(f"{path}: cannot read ({exc})") from exc
    if not isinstance(data, dict):
        raise MscMineError(f"{path}: expected a JSON object")
    return data


def _read_csv(path: Path, keep: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a table whose ``include`` is one of ``keep``."""
    csv.field_size_limit(1 << 24)  # evidence cells can be long
    with path.open(newline="", encoding="utf-8") as fh:
        return [dict(r) for r in csv.DictReader(fh) if r.get("include") in keep]


def _pool_categories(pool: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for r in pool.get("results", []):
        if isinstance(r, dict) and r.get("category"):
            seen[str(r["category"])] = None
    return list(seen)


def _forest_path(out_dir: Path, category: str, by: str | None = None) -> Path | None:
    """The category's forest plot: ``forest/<stem>.svg``, the stem as ``msc-mine pool``
    names it (category slug, ``__<by>`` with subgroups), or the category as written."""
    from msc_mine.forest import forest_stem  # matplotlib: only once pool.json exists

    stems = [forest_stem(category, by), category]
    for stem in stems:
        # The names come from a file: never let one reach outside forest/.
        if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
            continue
        path = out_dir / "forest" / f"{stem}.svg"
        if path.is_file():
            return path
    return None


def _manifest_pipeline(manifest: dict[str, Any]) -> Pipeline | None:
    info = manifest.get("pipeline") or {}
    path = Path(str(info.get("path", "")))
    if not info.get("path") or not path.is_file():
        return None
    try:
        pipeline = load_pipeline(path)
    except MscMineError:
        return None
    # A pipeline edited since the run would describe rules the run did not apply.
    return pipeline if pipeline.sha256 == info.get("sha256") else None


# -- the page ----------------------------------------------------------------------------


def render_report(inputs: ReportInputs, pipeline: Pipeline | None = None) -> str:
    """The whole page as a string (see the module docstring)."""
    m = inputs.manifest
    review_id = str(m.get("review") or inputs.funnel.get("review") or "review")
    title = pipeline.title if pipeline and pipeline.title else review_id
    sections = [
        _section_search(inputs, pipeline),
        _section_funnel(inputs),
        _section_included(inputs),
        _section_pool(inputs),
        _section_maybe(inputs),
        _section_changes(inputs),
        _section_method(inputs, pipeline),
    ]
    nav = "".join(f'<li><a href="#{sid}">{escape(name)}</a></li>' for sid, name, _ in sections)
    body = "\n".join(html for _, _, html in sections)
    software = m.get("software") or {}
    facts = [
        ("Review", review_id),
        ("Citation", _citation(pipeline)),
        ("Date", f"generated from the run finished at {m.get('finished') or 'unknown'}"),
        (
            "Software",
            f"msc-mine {software.get('version', '?')} (Python {software.get('python', '?')})",
        ),
        ("Extractor", str(m.get("extractor_version") or "unknown")),
    ]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    f = inputs.funnel
    maybe = (f.get("maybe") or {}).get("total")
    lead = (
        f"{_text(f.get('screened')) or '?'} records screened, "
        f"{_text(f.get('included')) or '?'} studies included, "
        f"{_text(maybe) or '?'} left for a human to check."
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}: msc-mine report</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header>\n<p class="kicker">msc-mine review report</p>\n<h1>{escape(title)}</h1>\n'
        f'<p class="lead">{escape(lead)}</p>\n<dl class="facts">{dl}</dl>\n'
        f'<nav aria-label="Sections"><ol>{nav}</ol></nav>\n</header>\n'
        f"<main>\n{body}\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _citation(pipeline: Pipeline | None) -> str:
    if pipeline is None:
        # No pipeline, or the manifest's one was edited since the run (see write_report).
        return "not shown: give the pipeline file to `msc-mine report PIPELINE`"
    return pipeline.citation or "not given in the pipeline file"


Section = tuple[str, str, str]  # (id, heading, html)


def _section(sid: str, heading: str, *parts: str) -> Section:
    inner = "\n".join(p for p in parts if p)
    return sid, heading, f'<section id="{sid}">\n<h2>{escape(heading)}</h2>\n{inner}\n</section>'


def _section_search(inputs: ReportInputs, pipeline: Pipeline | None) -> Section:
    m = inputs.manifest
    parts: list[str] = []
    db = m.get("database") or {}
    if db:
        parts.append(
            f"<p>Source: {escape(str(db.get('name', '')))} through "
            f"{escape(str(db.get('interface', '')))}.</p>"
        )
    searches = m.get("searches") or []
    if searches:
        rows = []
        for s in searches:
            window = " to ".join(x for x in (s.get("mindate", ""), s.get("maxdate", "")) if x)
            rows.append(
                [
                    escape(str(s.get("id", ""))),
                    f'<code class="query">{escape(str(s.get("query", "")))}</code>',
                    escape(f"{s.get('datetype', '')} {window}".strip() or "none"),
                    _num_cell(s.get("count")),
                    _num_cell(s.get("retrieved")),
                    escape(str(s.get("run_at", ""))),
                ]
            )
        parts.append(
            _table(
                ["Search", "Query as sent", "Date limits", "Records", "Retrieved", "Run at"],
                rows,
                cls="searches",
            )
        )
    inputs_ = m.get("inputs") or []
    if inputs_:
        parts.append("<p>Records were read from these exported files:</p>")
        rows = [
            [
                f"<code>{escape(str(i.get('path', '')))}</code>",
                escape(str(i.get("format", ""))),
                _num_cell(i.get("records")),
                f'<code title="{escape(str(i.get("sha256", "")))}">'
                f"{escape(str(i.get('sha256', ''))[:16])}</code>",
            ]
            for i in inputs_
        ]
        parts.append(_table(["File", "Format", "Records", "SHA-256 (start)"], rows))
    if pipeline is not None and not searches and pipeline.search.queries:
        parts.append(_pipeline_queries(pipeline))
    if not parts:
        parts.append("<p>The manifest of this run is missing: the search is not recorded.</p>")
    dedup = m.get("deduplication")
    if dedup:
        parts.append(f"<p>Duplicates: {escape(str(dedup))}.</p>")
    return _section("search", "The search", *parts)


def _pipeline_queries(pipeline: Pipeline) -> str:
    from msc_mine.queries import build_query

    rows = []
    for q in pipeline.search.queries:
        entry = {"id": q.id, "disease": q.disease, "query": q.query}
        try:
            term = build_query(pipeline.search.table, {k: v for k, v in entry.items() if v})
        except MscMineError as exc:
            term = f"(cannot build: {exc})"
        rows.append([escape(q.id), f'<code class="query">{escape(term)}</code>'])
    s = pipeline.search
    window = " to ".join(x for x in (s.mindate, s.maxdate) if x)
    return (
        f"<details><summary>The {len(rows)} PubMed searches the pipeline defines "
        "(not run here: records came from files)</summary>"
        f"<p>Database {escape(s.db)}, date limits {escape(s.datetype)} "
        f"{escape(window or 'none')}.</p>"
        f"{_table(['Search', 'Query'], rows, cls='searches')}</details>"
    )


def _section_funnel(inputs: ReportInputs) -> Section:
    f = inputs.funnel
    ident = f.get("identified") or {}
    rows: list[str] = []

    def row(label: str, value: Any, key: str, cls: str = "") -> None:
        c = f' class="{cls}"' if cls else ""
        rows.append(
            f'<tr{c}><th scope="row">{escape(label)}</th>'
            f'<td class="n" data-key="{escape(key)}">{_int(value)}</td></tr>'
        )

    for source, n in (ident.get("per_source") or {}).items():
        row(f"Identified: {source}", n, f"identified.{source}", "sub")
    row(f"Identified from {ident.get('from', 'sources')}, total", ident.get("total"), "identified")
    row("Duplicates removed", f.get("duplicates"), "duplicates")
    row("Records screened", f.get("screened"), "screened", "strong")
    for stage, c in (f.get("excluded") or {}).items():
        row(f"{stage}: assessed", c.get("assessed"), f"excluded.{stage}.assessed")
        row(f"{stage}: excluded", c.get("total"), f"excluded.{stage}.total")
        for reason, n in (c.get("reasons") or {}).items():
            row(f"excluded: {reason}", n, f"excluded.{stage}.{reason}", "sub")
    maybe = f.get("maybe") or {}
    row("Maybe: for a human to check", maybe.get("total"), "maybe")
    for rule, n in (maybe.get("rules") or {}).items():
        row(f"maybe: {rule}", n, f"maybe.{rule}", "sub")
    row("Studies included", f.get("included"), "included", "strong")
    counts = (
        '<table class="funnel"><thead><tr><th scope="col">Step</th><th scope="col">Records'
        f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    if inputs.prisma_svg:
        figure = (
            '<figure class="prisma">'
            + inline_svg(inputs.prisma_svg, "prisma-", "PRISMA 2020 flow diagram")
            + "<figcaption>PRISMA 2020 flow diagram of this run.</figcaption></figure>"
        )
    else:
        figure = '<p class="missing">prisma.svg is missing from the output folder.</p>'
    return _section(
        "funnel", "Screening funnel", f'<div class="funnel-grid">{counts}{figure}</div>'
    )


def _section_included(inputs: ReportInputs) -> Section:
    rows = inputs.included
    if not rows:
        return _section("included", "Included studies", "<p>No study was included.</p>")
    header = ["Study", *(h for _, h in STUDY_FIELDS)]
    body = []
    for r in rows:
        # The PMID sits in the study cell: one column that stays in view (CSS sticky)
        # while the values scroll by on a narrow screen.
        cells = [_study_cell(r, with_pmid=True)]
        for name, label in STUDY_FIELDS:
            cells.append(_dose_cell(r, label) if name == "dose" else _value_cell(r, name, label))
        body.append("<tr>" + "".join(cells) + "</tr>")
    intro = (
        f"<p>{len(rows)} studies. "
        '<span class="screen-only">Click a value to read the sentence it was taken from, with '
        "the matching words highlighted; click a column heading to sort. </span>"
        "<em>not_stated</em> means the abstract does not say.</p>"
    )
    table = _raw_table(header, body, "included-table", "studies sortable")
    return _section("included", "Included studies", intro, _filter("included-table"), table)


def _section_maybe(inputs: ReportInputs) -> Section:
    rows = inputs.maybe
    if not rows:
        return _section(
            "maybe", "For a human to check (maybe)", "<p>No record was left undecided.</p>"
        )
    body = []
    for r in rows:
        rule, reason, evidence = split_include_evidence(r.get("include_evidence", ""))
        # The flagged values (route, cell source) are what the reader must check: mark them.
        terms = highlight_terms(f"{r.get('route', '')};{r.get('cell_source', '')}")
        ev = _evidence_html(evidence, terms) if evidence else '<span class="muted">none</span>'
        body.append(
            "<tr>"
            + _pmid_cell(r)
            + _study_cell(r)
            + f"<td><code>{escape(rule)}</code></td><td>{escape(reason)}</td>"
            + f'<td class="evidence-col">{ev}</td>'
            + _value_cell(r, "route")
            + _value_cell(r, "cell_source")
            + "</tr>"
        )
    intro = (
        f"<p>{len(rows)} records the rules could not decide with confidence. Each names the "
        "rule that flagged it and why; read the abstract and decide.</p>"
    )
    table = _raw_table(
        ["PMID", "Study", "Rule", "Why", "Evidence", "Route", "Cell source"],
        body,
        "maybe-table",
        "maybe sortable",
    )
    return _section("maybe", "For a human to check (maybe)", intro, table)


def split_include_evidence(text: str) -> tuple[str, str, str]:
    """``include_evidence`` ("rule: reason | evidence") as (rule, reason, evidence)."""
    head, _, evidence = text.partition(" | ")
    rule, sep, reason = head.partition(": ")
    if not sep:
        rule, reason = "", head
    return rule, reason, evidence


def _section_pool(inputs: ReportInputs) -> Section:
    pool = inputs.pool
    heading = "Pooled safety estimates"
    if pool is None:
        return _section(
            "pool",
            heading,
            '<p class="missing">No pooled estimates yet: <code>msc-mine pool PIPELINE</code> '
            "writes pool.json and the forest plots into this folder and rebuilds this page.</p>",
        )
    results = [r for r in pool.get("results", []) if isinstance(r, dict)]
    by = pool.get("by")
    methods = ", ".join(str(x) for x in pool.get("methods") or [])
    cc = pool.get("continuity_correction")
    intro = (
        "<p>Proportion of treated patients with the event, pooled with a random-effects model "
        f"on the logit scale ({escape(methods.upper() or 'method not given')}); studies with "
        f"zero events get a continuity correction of {escape(str(cc))}."
        + (f" Subgroups by {escape(str(by))}." if by else "")
        + "</p>"
    )
    header = ["Category", *(["Subgroup"] if by else []), "Method", "Studies", "Patients"]
    header += ["Events", "Pooled % (95% CI)", "τ²", "I²", "Note"]
    body = []
    previous: tuple[str, str] | None = None
    last_note = ""
    for r in results:
        # Rows of one category (and subgroup) differ only by method: show the names and a
        # note shared by both once, so each block reads as one estimate.
        group = (_text(r.get("category")), _text(r.get("subgroup")))
        first = group != previous
        note = _text(r.get("note"))
        shown_note = note if first or note != last_note else ""
        previous, last_note = group, note
        cells = [f"<td>{escape(group[0]) if first else ''}</td>"]
        if by:
            cells.append(f"<td>{escape(group[1] or 'all') if first else ''}</td>")
        cells += [
            f"<td>{escape(str(r.get('method', '')).upper())}</td>",
            _num_td(r.get("k")),
            _num_td(r.get("n_patients")),
            _num_td(r.get("events")),
            f'<td class="n est">'
            f"{escape(_ci(r.get('estimate'), r.get('ci_low'), r.get('ci_high')))}</td>",
            f'<td class="n">{escape(_fixed(r.get("tau2"), 3))}</td>',
            f'<td class="n">{escape(_i2(r.get("i2")))}</td>',
            f'<td class="note">{escape(shown_note)}</td>',
        ]
        cls = ' class="group"' if first else ""
        body.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    table = _raw_table(header, body, "pool-table", "pool")
    figures = []
    for i, (category, svg) in enumerate(inputs.forest_svgs.items()):
        label = f"Forest plot: {category}"
        ks = [_float(r.get("k")) or 0 for r in results if r.get("category") == category]
        k = max(ks, default=0)
        # The first plot is open; the rest fold away (the print script opens them all).
        figures.append(
            f"<details{' open' if i == 0 else ''}><summary>{escape(label)} "
            f'<span class="muted">({_plural(int(k), "study", "studies")})</span></summary>'
            f'<figure class="forest">{inline_svg(svg, f"forest{i}-", label)}'
            f"<figcaption>{escape(label)}.</figcaption></figure></details>"
        )
    if figures:
        figures.insert(0, "<h3>Forest plots</h3>")
    elif results:
        figures.append('<p class="missing">No forest plots (forest/*.svg) in the folder.</p>')
    return _section("pool", heading, intro, table, *figures)


def _section_changes(inputs: ReportInputs) -> Section:
    heading = "Last refresh"
    ch = inputs.changes
    if ch is None:
        return _section(
            "changes",
            heading,
            '<p class="missing">No refresh has run on this review yet: <code>msc-mine refresh '
            "PIPELINE</code> fetches what is new or revised and records the changes here.</p>",
        )
    head = (
        f"<p>Refresh of {escape(_text(ch.get('date')) or inputs.changes_name)}"
        + (
            f", compared with the run of {escape(_text(ch.get('previous_run')))}"
            if ch.get("previous_run")
            else ""
        )
        + f". {escape(_text(ch.get('summary')))}</p>"
    )
    parts = [head]
    retractions = _dicts(ch.get("retractions"))
    # Retractions first: an included study withdrawn changes the review's conclusions.
    if retractions:
        ordered = sorted(retractions, key=lambda r: not r.get("was_included"))
        rows = [
            [
                _pmid_html(r.get("pmid")),
                escape(_text(r.get("title"))),
                '<strong class="alert">yes: now excluded</strong>'
                if r.get("was_included")
                else "no",
            ]
            for r in ordered
        ]
        parts.append(
            '<div class="retractions"><h3>Retractions</h3>'
            + _table(["PMID", "Title", "Was included"], rows)
            + "</div>"
        )
    else:
        parts.append("<h3>Retractions</h3><p>None.</p>")
    parts.append(_pmid_title_list("New inclusions", ch.get("new_inclusions")))
    decided = _dicts(ch.get("changed_decisions"))
    if decided:
        rows = [
            [
                _pmid_html(d.get("pmid")),
                escape(_text(d.get("title"))),
                _decision_html(d.get("old")),
                _decision_html(d.get("new")),
                escape(_text(d.get("reason"))),
            ]
            for d in decided
        ]
        parts.append(
            "<h3>Changed decisions</h3>"
            + _table(["PMID", "Title", "Before", "Now", "Reason"], rows)
        )
    else:
        parts.append("<h3>Changed decisions</h3><p>None.</p>")
    values = _dicts(ch.get("changed_values"))
    if values:
        rows = [
            [
                _pmid_html(v.get("pmid")),
                f"<code>{escape(_text(v.get('field')))}</code>",
                escape(_text(v.get("old")) or "(empty)"),
                escape(_text(v.get("new")) or "(empty)"),
            ]
            for v in values
        ]
        parts.append(
            "<h3>Changed values in included studies</h3>"
            + _table(["PMID", "Field", "Before", "Now"], rows)
        )
    else:
        parts.append("<h3>Changed values in included studies</h3><p>None.</p>")
    new = _dicts(ch.get("new_records"))
    if new:
        rows = [[_pmid_html(r.get("pmid")), escape(_text(r.get("title")))] for r in new]
        parts.append(
            f"<details><summary><h3>New records ({len(new)})</h3></summary>"
            + _table(["PMID", "Title"], rows)
            + "</details>"
        )
    else:
        parts.append("<h3>New records</h3><p>None.</p>")
    if inputs.earlier_changes:
        parts.append(
            f"<p>{_plural(inputs.earlier_changes, 'earlier change report')} in the changes/ "
            "folder.</p>"
        )
    return _section("changes", heading, *parts)


def _pmid_title_list(heading: str, items: Any) -> str:
    rows = [[_pmid_html(r.get("pmid")), escape(_text(r.get("title")))] for r in _dicts(items)]
    if not rows:
        return f"<h3>{escape(heading)}</h3><p>None.</p>"
    return f"<h3>{escape(heading)}</h3>" + _table(["PMID", "Title"], rows)


def _decision_html(d: Any) -> str:
    if not isinstance(d, dict):
        return '<span class="muted">none</span>'
    parts = [f"include {_text(d.get('include')) or '?'}"]
    if d.get("exclude_reason"):
        parts.append(f"reason {_text(d.get('exclude_reason'))}")
    if d.get("rule_id"):
        parts.append(f"rule {_text(d.get('rule_id'))}")
    return escape(", ".join(parts))


def _section_method(inputs: ReportInputs, pipeline: Pipeline | None) -> Section:
    m = inputs.manifest
    pipe = m.get("pipeline") or {}
    items = [
        "Records come from the search or files above; duplicates are merged, then every "
        "record is screened by the review's rules in order, stage by stage. The first rule "
        "that applies decides: <em>no</em> (excluded, with its reason), <em>maybe</em> (a "
        "human must check) or, when no rule applies, <em>yes</em>.",
        "Values are read from the title, abstract, MeSH terms and publication types by "
        "msc-mine's extraction, never from full texts; each keeps the sentence it was read "
        "from. <em>not_stated</em> means the text does not say; an empty cell means the "
        "field does not apply. Vocabularies follow the msc-mine codebook.",
        f"The screening rules are in the pipeline file <code>{escape(_text(pipe.get('path')))}"
        f"</code> (SHA-256 <code>{escape(_text(pipe.get('sha256')))}</code>), written as "
        "data a reviewer can read and change.",
        f"Run manifest <code>manifest.json</code>: SHA-256 <code>"
        f"{escape(inputs.manifest_sha256 or 'missing')}</code>; it lists the queries as sent, "
        "the files read, the software and extractor versions and the hash of every output, "
        "so this run can be checked and repeated.",
        "Machine extraction makes mistakes: check the evidence of any value a conclusion rests on.",
    ]
    parts = ["<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"]
    outputs = m.get("outputs") or {}
    if outputs:
        rows = [
            [f"<code>{escape(k)}</code>", f"<code>{escape(str(v))}</code>"]
            for k, v in outputs.items()
        ]
        parts.append(
            "<details><summary>SHA-256 of each output file</summary>"
            + _table(["File", "SHA-256"], rows, cls="hashes")
            + "</details>"
        )
    if pipeline is not None and pipeline.rules:
        rows = [
            [
                f"<code>{escape(r.id)}</code>",
                escape(r.stage),
                escape(r.decision),
                escape(r.exclude_reason),
                escape(r.reason),
            ]
            for r in pipeline.rules
        ]
        parts.append(
            f"<details><summary>The {len(rows)} screening rules, in the order they "
            "apply</summary>"
            + _table(["Rule", "Stage", "Decision", "Reason code", "Meaning"], rows)
            + "</details>"
        )
    return _section("method", "How to read this report, and how it was made", *parts)


# -- cells -------------------------------------------------------------------------------


def _pmid_html(pmid: Any) -> str:
    text = _text(pmid)
    if text.isdigit():
        return f'<a href="{PUBMED_URL.format(text)}">{text}</a>'
    return escape(text)


def _pmid_cell(row: dict[str, str]) -> str:
    pmid = row.get("pmid", "")
    sort = f' data-sort="{escape(pmid.zfill(12))}"' if pmid.isdigit() else ""
    return f'<td class="pmid"{sort}>{_pmid_html(pmid)}</td>'


def _study_cell(row: dict[str, str], with_pmid: bool = False) -> str:
    who = " ".join(x for x in (row.get("first_author", ""), row.get("year", "")) if x)
    doi = row.get("doi", "")
    links = ""
    if with_pmid and row.get("pmid"):
        links += f' <span class="pmid">PMID {_pmid_html(row["pmid"])}</span>'
    if doi:
        url = escape(DOI_URL.format(quote(doi, safe="/:;()._-")))
        links += f' <a class="doi" href="{url}">doi</a>'
    journal = row.get("journal", "")
    return (
        f'<td class="study"><span class="who">{escape(who or "no author")}</span>{links}'
        f'<span class="title">{escape(row.get("title", ""))}</span>'
        + (f'<span class="journal">{escape(journal)}</span>' if journal else "")
        + "</td>"
    )


def _value_cell(row: dict[str, str], name: str, label: str = "") -> str:
    value = row.get(name, "")
    evidence = row.get(f"{name}_evidence", "")
    shown = value.replace(";", "; ")
    attrs = _label_attr(label)
    if name in NUMBER_FIELDS and value:
        attrs += f' data-sort="{escape(value)}"'
    return f"<td{attrs}>{_value_with_evidence(escape(shown), value, evidence)}</td>"


def _dose_cell(row: dict[str, str], label: str = "") -> str:
    low, high, unit = row.get("dose_low", ""), row.get("dose_high", ""), row.get("dose_unit", "")
    evidence = row.get("dose_low_evidence", "") or row.get("dose_unit_evidence", "")
    shown = format_dose(low, high, unit)
    attrs = _label_attr(label)
    if _float(low) is not None:
        attrs += f' data-sort="{escape(low)}"'
    return f"<td{attrs}>{_value_with_evidence(shown, '', evidence)}</td>"


def _label_attr(label: str) -> str:
    # Printed, the study table becomes one block per study; each value is then introduced
    # by its column's name (CSS attr()), since the header row is no longer above it.
    return f' data-label="{escape(label)}"' if label else ""


def _value_with_evidence(shown_html: str, value: str, evidence: str) -> str:
    if not shown_html:
        return '<span class="muted">–</span>'
    if shown_html == "not_stated":
        shown_html = '<span class="muted">not_stated</span>'
    if not evidence:
        return shown_html
    return (
        f"<details><summary>{shown_html}</summary>"
        f"{_evidence_html(evidence, highlight_terms(value))}</details>"
    )


def _evidence_html(evidence: str, terms: Sequence[str]) -> str:
    # The table joins several sentences with " | "; each gets its own line.
    sentences = [s for s in evidence.split(" | ") if s.strip()]
    inner = "".join(f"<span>{highlight(s, terms)}</span>" for s in sentences)
    return f'<div class="ev">{inner}</div>'


def highlight_terms(value: str) -> list[str]:
    """Words to mark in a value's evidence: each item, spelled as text would spell it."""
    terms: list[str] = []
    for item in (v.strip() for v in value.split(";")):
        if not item or item == "not_stated":
            continue
        spaced = item.replace("_", " ")
        terms += [item, spaced, item.replace("_", "-")]
        first, _, rest = spaced.partition(" ")
        if rest:  # lexicon names drop the possessive the text keeps: Crohn's disease
            terms.append(f"{first}'s {rest}")
        terms += SURFACE_FORMS.get(item, ())
    return sorted(set(terms), key=lambda t: (-len(t), t))


def highlight(text: str, terms: Iterable[str]) -> str:
    """``text`` escaped for HTML, with each whole-word occurrence of a term in ``<mark>``."""
    words = [t for t in terms if t]
    if not words:
        return escape(text)
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])",
        re.IGNORECASE,
    )
    out: list[str] = []
    pos = 0
    for match in pattern.finditer(text):
        out.append(escape(text[pos : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def format_dose(low: str, high: str, unit: str) -> str:
    """A dose range as HTML, in powers of ten: ``1–2 × 10<sup>6</sup> cells/kg``."""
    lo, hi = _float(low), _float(high)
    if lo is None and hi is None:
        return "not_stated" if unit in ("", "not_stated") else escape(unit)
    values = [v for v in (lo, hi) if v is not None]
    if len(values) == 2 and values[0] == values[1]:
        values = values[:1]
    exponent = _exponent(min(values))
    if len(values) == 2 and _exponent(values[1]) != exponent:
        text = " – ".join(_sci(v) for v in values)
    else:
        mantissas = "–".join(_mantissa(v, exponent) for v in values)
        text = f"{mantissas} × 10<sup>{exponent}</sup>" if exponent else mantissas
    suffix = "" if unit in ("", "not_stated") else f" {escape(unit)}"
    return text + suffix


def _exponent(value: float) -> int:
    if value <= 0:
        return 0
    e = 0
    while value >= 10:
        value /= 10
        e += 1
    while value < 1:
        value *= 10
        e -= 1
    return e


def _mantissa(value: float, exponent: int) -> str:
    m = value / (10**exponent)
    return f"{m:.2f}".rstrip("0").rstrip(".")


def _sci(value: float) -> str:
    e = _exponent(value)
    return f"{_mantissa(value, e)} × 10<sup>{e}</sup>" if e else _mantissa(value, 0)


# -- small formatters --------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _plural(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> str:
    return escape(str(value)) if value is not None else "?"


def _num_cell(value: Any) -> str:
    return f'<span class="n">{_int(value)}</span>' if value is not None else ""


def _num_td(value: Any) -> str:
    return f'<td class="n">{escape(_text(value)) or "–"}</td>'


def _fixed(value: Any, digits: int) -> str:
    v = _float(value)
    return "–" if v is None else f"{v:.{digits}f}"


def _ci(est: Any, low: Any, high: Any) -> str:
    e, lo, hi = _float(est), _float(low), _float(high)
    if e is None:
        return "–"
    text = f"{e * 100:.1f}%"
    if lo is not None and hi is not None:
        text += f" ({lo * 100:.1f}–{hi * 100:.1f})"
    return text


def _i2(value: Any) -> str:
    # pool.json holds I² as a percentage (msc_mine.pool writes it so).
    v = _float(value)
    return "–" if v is None else f"{v:.0f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    """A table from header texts and already-escaped cell HTML."""
    body = ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
    return _raw_table(header, body, "", cls)


def _raw_table(header: Sequence[str], body: Sequence[str], tid: str, cls: str) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
    id_attr = f' id="{tid}"' if tid else ""
    cls_attr = f' class="{cls}"' if cls else ""
    return (
        f'<div class="scroll"><table{id_attr}{cls_attr}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _filter(table_id: str) -> str:
    # Hidden until the script runs: without JavaScript a filter box would do nothing.
    return (
        f'<input class="filter" type="search" hidden data-table="{table_id}" '
        'placeholder="Filter rows (values and evidence)" aria-label="Filter rows">'
    )


# -- inline SVG --------------------------------------------------------------------------

_XML_DECL = re.compile(r"<\?xml[^>]*\?>\s*")
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>\s*", re.IGNORECASE)
_METADATA = re.compile(r"<metadata\b.*?</metadata>\s*", re.DOTALL)
_SCRIPT = re.compile(r"<script\b.*?(</script>|/>)", re.DOTALL | re.IGNORECASE)
_HANDLER = re.compile(r"\son[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*')", re.IGNORECASE)
_EXTERNAL_HREF = re.compile(r"\s(?:xlink:)?href\s*=\s*(\"(?!#)[^\"]*\"|'(?!#)[^']*')")
_ID = re.compile(r'\bid="([^"]+)"')
_SVG_TAG = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(width|height)="([^"]*)"')


def inline_svg(svg: str, prefix: str, label: str) -> str:
    """An SVG file's text made fit to sit inside an HTML page.

    Drops the XML declaration, DOCTYPE and metadata; drops scripts, event handlers and
    links to other documents (the page must not fetch or run anything it did not write);
    prefixes every id and every reference to one, since two matplotlib figures reuse ids
    (``figure_1``, glyph ids) and the second would otherwise draw the first one's clip paths;
    and replaces the fixed size by a width that follows the page, up to the drawn size.
    """
    text = _XML_DECL.sub("", svg)
    text = _DOCTYPE.sub("", text)
    text = _METADATA.sub("", text)
    text = _SCRIPT.sub("", text)
    text = _HANDLER.sub("", text)
    text = _EXTERNAL_HREF.sub("", text)
    ids = set(_ID.findall(text))
    if ids:
        ref = re.compile(
            r'(\bid="|url\(#|href="#)(' + "|".join(re.escape(i) for i in ids) + r')(?=["\)])'
        )
        text = ref.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)
    tag = _SVG_TAG.search(text)
    if tag is None:
        raise MscMineError(f"{label}: not an SVG image")
    sizes = dict(_SIZE.findall(tag.group(0)))
    width = sizes.get("width", "")
    style = f' style="max-width:{escape(width)}"' if re.fullmatch(r"[\d.]+(pt|px)?", width) else ""
    new_tag = _SIZE.sub("", tag.group(0))
    new_tag = new_tag[:-1].rstrip("/").rstrip() + (
        f' class="figure" role="img" aria-label="{escape(label)}"{style}>'
    )
    return text[: tag.start()] + new_tag + text[tag.end() :].strip()


# -- style and script --------------------------------------------------------------------


def _asset(name: str) -> str:
    # Kept as files beside the code so they are edited as CSS and JavaScript.
    return resources.files("msc_mine").joinpath("data", name).read_text(encoding="utf-8")


CSS = _asset("report.css").strip()
SCRIPT = _asset("report.js").strip()
