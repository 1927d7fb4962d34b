"""MEDLINE reader: field mapping, structured abstracts, odd but valid files (hypothesis)."""

from __future__ import annotations

import io
import tempfile
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msc_mine.errors import UsageError
from msc_mine.medline import (
    format_author,
    iter_medline_file,
    parse_medline,
    sniff_medline,
    split_structured_abstract,
)
from msc_mine.records import AbstractSection, MeshHeading

SAMPLES = Path(__file__).resolve().parent.parent / "corpora" / "import_samples"


def test_sample_file_fields() -> None:
    recs = list(iter_medline_file(SAMPLES / "sample.nbib"))
    assert [r.pmid for r in recs] == ["90050001", "90050002", "90050003", "90050004"]
    first = recs[0]
    assert first.title.startswith("Intravenous autologous bone marrow")
    assert first.title.endswith(
        "relapsing multiple sclerosis: a randomized, placebo-controlled phase 2 trial."
    )
    assert [s.label for s in first.abstract] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert first.abstract[1].text.startswith("Forty-two adults")
    assert first.authors == ["Lindqvist MK", "Ødegård H", "Nuñez-Patiño JL"]
    assert first.journal == "Mesenchymal cell therapy"
    assert first.year == 2022
    assert first.revised == "2023-06-11"
    assert first.doi == "10.1000/msct.2022.0101"
    assert first.language == "eng"
    assert first.keywords == ["mesenchymal stromal cells", "multiple sclerosis"]
    assert "Randomized Controlled Trial" in first.publication_types
    assert first.mesh[2] == MeshHeading(
        "Mesenchymal Stem Cell Transplantation", True, ("adverse effects", "methods")
    )
    assert first.mesh[0] == MeshHeading("Adult", False, ())
    assert first.source_ids == ["pubmed:90050001"]
    second, third, fourth = recs[1:]
    assert second.pmcid == "PMC9050002"
    assert second.authors[-1] == "Regional Cell Therapy Consortium"  # CN
    assert second.abstract == [AbstractSection("", second.abstract_text)]
    assert third.retraction_in == ["90050099"] and third.is_retracted
    assert third.doi == ""
    assert [s.label for s in fourth.abstract] == ["OBJECTIVE", "PATIENTS AND METHODS", "RESULTS"]


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("BACKGROUND: a. METHODS: b.", ["BACKGROUND", "METHODS"]),
        ("MATERIALS AND METHODS: a. RESULTS: b.", ["MATERIALS AND METHODS", "RESULTS"]),
        ("Lead sentence. RESULTS: b.", ["", "RESULTS"]),
        ("CD73, CD90 and HLA-DR: markers were checked.", [""]),  # not a label: lower case
        ("Levels of IL-6: rose. TNF: fell.", [""]),  # too short to be a label
        ("Plain abstract without labels.", [""]),
        ("", []),
    ],
)
def test_split_structured_abstract(text: str, labels: list[str]) -> None:
    sections = split_structured_abstract(text)
    assert [s.label for s in sections] == labels
    if sections:
        assert " ".join(f"{s.label}: {s.text}" if s.label else s.text for s in sections) == text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Lindqvist, Maja K", "Lindqvist MK"),
        ("Nuñez-Patiño, José Luis", "Nuñez-Patiño JL"),
        ("Moreau, J.-L.", "Moreau JL"),
        ("Okafor C.N.", "Okafor CN"),
        ("Varga É.", "Varga É"),
        ("Smith JA", "Smith JA"),
        ("Regional Cell Therapy Consortium", "Regional Cell Therapy Consortium"),
    ],
)
def test_format_author(name: str, expected: str) -> None:
    assert format_author(name) == expected


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nbib"
    bad.write_text("PMID- 90050001\nTI  - fine\nthis line is not MEDLINE\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad\.nbib, line 3"):
        list(iter_medline_file(bad))


def test_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "latin.nbib"
    bad.write_bytes("PMID- 90050001\nTI  - caf\xe9\n".encode("latin-1"))
    with pytest.raises(UsageError, match="UTF-8"):
        list(iter_medline_file(bad))


def test_sniff() -> None:
    assert sniff_medline("\ufeffPMID- 90050001\nOWN - NLM\n")
    assert sniff_medline("\n\nPMID- 1\n")
    assert not sniff_medline("TY  - JOUR\nTI  - x\n")
    assert not sniff_medline("<?xml version='1.0'?><PubmedArticleSet>")


# --- hypothesis: write odd but valid MEDLINE, read it back --------------------------------

_LETTERS = st.characters(categories=["L", "N"], exclude_characters="\x85\u2028\u2029")
_word = st.text(_LETTERS | st.sampled_from("-'(),.%"), min_size=1, max_size=15).filter(
    lambda w: w.strip() == w and w != ""
)
_words = st.lists(_word, min_size=1, max_size=40).map(" ".join)
_long_words = st.lists(_word, min_size=1, max_size=900).map(" ".join)
_family = (
    st.text(_LETTERS, min_size=1, max_size=12)
    .map(str.title)
    .filter(lambda f: f.strip() == f and f.isalpha())
)
_initials = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZÉØÅ"), min_size=1, max_size=3)
_label = st.sampled_from(["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS", "TRIAL REGISTRATION"])


@dataclass
class Article:
    pmid: str
    title: str | None
    abstract: list[tuple[str, str]]
    authors: list[tuple[str, str]]
    mesh: list[tuple[str, bool, list[tuple[str, bool]]]]
    keywords: list[str]
    year: int | None
    revised: str | None
    doi: str | None


_mesh_term = st.text(st.characters(categories=["L"]), min_size=2, max_size=12).filter(
    lambda t: t.strip() == t
)
_articles = st.builds(
    Article,
    pmid=st.integers(90000000, 99999999).map(str),
    title=st.none() | _words,
    abstract=st.one_of(
        st.just([]),
        _long_words.map(lambda t: [("", t)]),
        # Sections end with a full stop, as real ones do: labels follow a sentence end.
        st.lists(st.tuples(_label, _words.map(lambda t: t + ".")), min_size=1, max_size=4),
    ),
    authors=st.lists(st.tuples(_family, _initials), max_size=4),
    mesh=st.lists(
        st.tuples(
            _mesh_term, st.booleans(), st.lists(st.tuples(_mesh_term, st.booleans()), max_size=2)
        ),
        max_size=3,
    ),
    keywords=st.lists(_words, max_size=3),
    year=st.none() | st.integers(1950, 2030),
    revised=st.none()
    | st.dates(date(1900, 1, 1), date(2099, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
    doi=st.none() | st.from_regex(r"10\.[0-9]{4}/[A-Za-z0-9.\-]{1,20}", fullmatch=True),
)


def _field(tag: str, value: str) -> list[str]:
    parts = textwrap.wrap(value, 60, break_long_words=False, break_on_hyphens=False) or [""]
    return [f"{tag:<4}- {parts[0]}"] + [f"      {p}" for p in parts[1:]]


def _write(article: Article, empty_tags: bool) -> list[str]:
    lines = [f"PMID- {article.pmid}", "OWN - NLM"]
    if article.title is not None:
        lines += _field("TI", article.title)
    if article.abstract:
        text = " ".join(f"{lab}: {t}" if lab else t for lab, t in article.abstract)
        lines += _field("AB", text)
    for family, initials in article.authors:
        lines += _field("FAU", f"{family}, {initials}")
        lines += _field("AU", f"{family} {initials}")
    if article.year is not None:
        lines += _field("DP", f"{article.year} Jan 5")
    for desc, major, quals in article.mesh:
        term = ("*" if major else "") + desc
        term += "".join(f"/{'*' if qmaj else ''}{q}" for q, qmaj in quals)
        lines += _field("MH", term)
    for kw in article.keywords:
        lines += _field("OT", kw)
    if article.revised is not None:
        lines += _field("LR", article.revised)
    if article.doi is not None:
        lines += _field("AID", f"{article.doi} [doi]")
    if empty_tags:
        lines += ["OT  - ", "PT  -", "LA  - "]
    return lines


@settings(max_examples=60, deadline=None)
@given(
    articles=st.lists(_articles, min_size=1, max_size=3, unique_by=lambda a: a.pmid),
    crlf=st.booleans(),
    bom=st.booleans(),
    empty_tags=st.booleans(),
)
def test_round_trip_odd_but_valid(
    articles: list[Article], crlf: bool, bom: bool, empty_tags: bool
) -> None:
    blocks = ["\n".join(_write(a, empty_tags)) for a in articles]
    text = "\n\n".join(blocks) + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "odd.nbib"
        path.write_bytes(data)
        recs = list(iter_medline_file(path))
    assert len(recs) == len(articles)
    for rec, art in zip(recs, articles, strict=True):
        assert rec.pmid == art.pmid
        assert rec.title == (art.title or "")
        assert [(s.label, s.text) for s in rec.abstract] == art.abstract
        assert rec.authors == [f"{f} {i}" for f, i in art.authors]
        assert rec.year == art.year
        expected_mesh = [
            MeshHeading(d, major, tuple(q for q, _ in quals)) for d, major, quals in art.mesh
        ]
        assert rec.mesh == expected_mesh
        assert rec.keywords == art.keywords
        assert rec.language == ""
        assert rec.publication_types == []
        if art.revised:
            assert rec.revised == f"{art.revised[:4]}-{art.revised[4:6]}-{art.revised[6:]}"
        else:
            assert rec.revised == ""
        assert rec.doi == (art.doi.lower() if art.doi else "")


def test_parse_from_list_of_lines() -> None:
    recs = list(parse_medline(io.StringIO("PMID- 90050009\nTI  - Short.\n")))
    assert recs[0].title == "Short."
