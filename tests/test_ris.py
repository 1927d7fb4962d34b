"""RIS reader: exporter dialects, identifiers, odd but valid files (hypothesis)."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msc_mine.errors import UsageError
from msc_mine.ris import iter_ris_file, parse_ris, sniff_ris

SAMPLES = Path(__file__).resolve().parent.parent / "corpora" / "import_samples"


def test_embase_sample() -> None:
    recs = list(iter_ris_file(SAMPLES / "sample_embase.ris"))
    assert len(recs) == 4
    first, second, third, fourth = recs
    assert first.pmid == "90050001"  # C5
    assert first.source_ids == ["ris:embase:L2016000001"]  # U2
    assert first.authors == ["Lindqvist MK", "Ødegård H"]
    assert first.year == 2022  # Y1 "2022//"
    assert first.journal == "Mesenchymal Cell Therapy"  # JF
    assert [s.label for s in first.abstract] == ["BACKGROUND", "METHODS", "RESULTS"]  # N2
    assert first.language == "eng"
    assert first.keywords == ["mesenchymal stem cell transplantation", "multiple sclerosis"]
    assert second.pmid == "" and second.doi == "10.1000/resp.2021.77"
    assert second.key == "doi:10.1000/resp.2021.77"
    assert third.publication_types == ["Congress"]
    assert fourth.key == "ris:embase:L2016000004"  # no PMID, no DOI


def test_wos_sample() -> None:
    recs = list(iter_ris_file(SAMPLES / "sample_wos.ris"))  # starts with a BOM
    assert [r.source_ids[0] for r in recs] == [
        "ris:wos:WOS:000900000000001",
        "ris:wos:WOS:000900000000002",
        "ris:wos:WOS:000900000000003",
    ]
    assert recs[0].journal == "JOURNAL OF JOINT REGENERATION"  # T2
    assert recs[0].authors == ["Brennan S"]
    assert recs[1].doi == "10.1000/vr.2023.s12"
    assert recs[2].pmid == "90050005"  # PM
    assert recs[2].authors == ["Moreau JL", "Sato K"]


def test_scopus_sample() -> None:
    recs = list(iter_ris_file(SAMPLES / "sample_scopus.ris"))
    assert recs[0].pmid == "90050004"  # C2
    assert recs[0].source_ids == ["ris:scopus:2-s2.0-85200000001"]  # EID from UR
    assert recs[1].pmid == "" and recs[1].doi == ""
    assert recs[1].key == "ris:scopus:2-s2.0-85200000002"
    assert recs[2].journal == "Reproductive Cell Science"


def test_generic_ris_and_fallback_id() -> None:
    text = "TY  - JOUR\nTI  - A generic record with no identifiers at all\nPY  - 2018\nER  - \n"
    (rec,) = parse_ris(io.StringIO(text), name="/x/refs.ris")
    assert rec.source_ids == ["ris:ris:refs.ris#1"]
    assert rec.year == 2018


def test_pmid_only_when_digits() -> None:
    text = "TY  - JOUR\nTI  - t\nC2  - not a pmid\nC5  - PMID: 90050077\nER  -\n"
    (rec,) = parse_ris(io.StringIO(text))
    assert rec.pmid == "90050077"
    text = "TY  - JOUR\nTI  - t\nDB  - Scopus\nC2  - 12 34\nER  -\n"
    (rec,) = parse_ris(io.StringIO(text))
    assert rec.pmid == ""


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("TY  - JOUR\nTI  - x\n", "line 1: record has no ER"),
        ("TY  - JOUR\nTI  - x\nTY  - JOUR\nER  - \n", "line 3: new TY before ER"),
        ("ER  - \n", "line 1: ER without TY"),
        ("hello world\n", "line 1: not RIS"),
        ("\n\n", "no RIS records"),
    ],
)
def test_malformed(text: str, where: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.ris"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=f"bad.ris.*{where}"):
        list(iter_ris_file(path))


def test_sniff() -> None:
    assert sniff_ris("\ufeffTY  - JOUR\n")
    assert sniff_ris("\n\nTY  - CONF\n")
    assert not sniff_ris("PMID- 1\n")


# --- hypothesis: write odd but valid RIS, read it back ------------------------------------

_LETTERS = st.characters(categories=["L", "N"], exclude_characters="\x85\u2028\u2029")
_word = st.text(_LETTERS | st.sampled_from("-'(),.%"), min_size=1, max_size=15)
_words = st.lists(_word, min_size=1, max_size=30).map(" ".join)
_long = st.lists(_word, min_size=1, max_size=800).map(" ".join)
_family = st.text(st.characters(categories=["L"]), min_size=1, max_size=12).filter(
    lambda f: f.isalpha()
)
_given = st.lists(
    st.text(st.characters(categories=["Lu"]), min_size=1, max_size=1)
    .filter(str.isupper)
    .flatmap(
        lambda c: (
            st.just(c)
            | st.text(st.characters(categories=["Ll"]), max_size=6).map(lambda rest: c + rest)
        )
    ),
    min_size=1,
    max_size=3,
)


@dataclass
class Entry:
    dialect: str
    title: str | None
    abstract: str | None
    authors: list[tuple[str, list[str]]]
    year: int | None
    doi: str | None
    pmid: str | None
    accession: str
    keywords: list[str]


_entries = st.builds(
    Entry,
    dialect=st.sampled_from(["embase", "wos", "scopus"]),
    title=st.none() | _words,
    abstract=st.none() | _long,
    authors=st.lists(st.tuples(_family, _given), max_size=4),
    year=st.none() | st.integers(1950, 2030),
    doi=st.none() | st.from_regex(r"10\.[0-9]{4}/[A-Za-z0-9.\-]{1,20}", fullmatch=True),
    pmid=st.none() | st.integers(90000000, 99999999).map(str),
    accession=st.integers(1, 10**9).map(str),
    keywords=st.lists(_words, max_size=3),
)


def _wrap(tag: str, value: str, width: int = 70) -> list[str]:
    # RIS continuation lines carry no tag; rispy joins them with a space.
    words = value.split(" ")
    lines, current = [], ""
    for w in words:
        if current and len(current) + len(w) + 1 > width:
            lines.append(current)
            current = w
        else:
            current = f"{current} {w}" if current else w
    lines.append(current)
    return [f"{tag}  - {lines[0]}", *lines[1:]]


def _write(e: Entry, empty_tags: bool) -> list[str]:
    tags = {
        "embase": ("T1", "N2", "A1", "Y1", "C5", "U2", "L"),
        "wos": ("TI", "AB", "AU", "PY", "PM", "AN", "WOS:"),
        "scopus": ("TI", "AB", "AU", "PY", "C2", "AN", "2-s2.0-"),
    }[e.dialect]
    ti, ab, au, py, pm, an, prefix = tags
    lines = ["TY  - JOUR"]
    if e.title is not None:
        lines += _wrap(ti, e.title)
    for family, names in e.authors:
        lines.append(f"{au}  - {family}, {' '.join(names)}")
    if e.year is not None:
        lines.append(f"{py}  - {e.year}//" if e.dialect == "embase" else f"{py}  - {e.year}")
    if e.abstract is not None:
        lines += _wrap(ab, e.abstract)
    if e.doi is not None:
        lines.append(f"DO  - {e.doi}")
    if e.pmid is not None:
        lines.append(f"{pm}  - {e.pmid}")
    lines.append(f"{an}  - {prefix}{e.accession}")
    lines += [f"KW  - {k}" for k in e.keywords]
    if e.dialect == "embase":
        lines.append("DB  - Embase")
    elif e.dialect == "scopus":
        lines.append("DB  - Scopus")
    if empty_tags:
        lines += ["KW  - ", "LA  - ", "N1  -"]
    lines.append("ER  - " if e.dialect != "wos" else "ER  -")
    return lines


@settings(max_examples=60, deadline=None)
@given(
    entries=st.lists(_entries, min_size=1, max_size=3),
    crlf=st.booleans(),
    bom=st.booleans(),
    empty_tags=st.booleans(),
)
def test_round_trip_odd_but_valid(
    entries: list[Entry], crlf: bool, bom: bool, empty_tags: bool
) -> None:
    text = "\n\n".join("\n".join(_write(e, empty_tags)) for e in entries) + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "odd.ris"
        path.write_bytes(data)
        recs = list(iter_ris_file(path))
    assert len(recs) == len(entries)
    for rec, e in zip(recs, entries, strict=True):
        assert rec.title == (e.title or "")
        if e.abstract is None:
            assert rec.abstract == []
        else:
            assert rec.abstract_text == e.abstract
        assert rec.authors == [f"{f} {''.join(n[0] for n in names)}" for f, names in e.authors]
        assert rec.year == e.year
        assert rec.doi == (e.doi.lower() if e.doi else "")
        assert rec.pmid == (e.pmid or "")
        prefix = {"embase": "L", "wos": "WOS:", "scopus": "2-s2.0-"}[e.dialect]
        assert rec.source_ids == [f"ris:{e.dialect}:{prefix}{e.accession}"]
        assert rec.keywords == e.keywords
