"""PubMed XML: writer and both parsers agree, markup is rendered, hostile XML is harmless."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import Bio.Entrez.Parser
import pytest

from eutils_server import synthetic_records
from msc_mine.errors import UsageError
from msc_mine.pubmed_writer import DOCTYPE, record_dates, records_to_pubmed_xml
from msc_mine.pubmed_xml import iter_pubmed_xml_file, parse_pubmed_xml, render_markup
from msc_mine.records import AbstractSection, MeshHeading, Record

TEMPLATE = Path(__file__).resolve().parent.parent / "corpora" / "TEMPLATE_article.xml"


def _article(body: str, doctype: str = DOCTYPE, pmid: str = "90000042") -> bytes:
    return (
        f'<?xml version="1.0" ?>\n{doctype}\n<PubmedArticleSet><PubmedArticle>'
        f'<MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        f'<Article PubModel="Print">{body}</Article></MedlineCitation>'
        f'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f"</ArticleIdList></PubmedData></PubmedArticle></PubmedArticleSet>\n"
    ).encode()


def _both(data: bytes, tmp_path: Path) -> list[Record]:
    """Parse with both readers, insist they agree, return the records."""
    path = tmp_path / "set.xml"
    path.write_bytes(data)
    from_bio = parse_pubmed_xml(data)
    from_lxml = list(iter_pubmed_xml_file(path))
    assert from_bio == from_lxml
    return from_bio


def test_template_fields(tmp_path: Path) -> None:
    [rec] = _both(TEMPLATE.read_bytes(), tmp_path)
    assert rec.pmid == "90000001"
    assert rec.doi == "10.9999/scrt.2021.0001"
    assert rec.pmcid == "PMC9000001"
    assert rec.journal == "Stem cell research & therapy"
    assert rec.year == 2021
    assert rec.revised == "2022-11-15"
    assert rec.authors == ["Moreno LA", "Chen W"]
    assert [s.label for s in rec.abstract] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert "1 × 10(6) cells/kg" in rec.abstract[1].text
    assert rec.mesh[1] == MeshHeading(
        "Mesenchymal Stem Cell Transplantation", True, ("adverse effects", "methods"), "D045164"
    )
    assert rec.mesh[0].major is False
    assert "Randomized Controlled Trial" in rec.publication_types
    assert rec.keywords == ["Mesenchymal stromal cells", "Safety"]
    assert rec.language == "eng"
    assert rec.source_ids == ["pubmed:90000001"]


def test_round_trip_generated_records(tmp_path: Path) -> None:
    records = synthetic_records(60, seed=3)
    assert any(r.retraction_in for r in records)
    assert any(" " in a and not a.split()[-1].isupper() for r in records for a in r.authors)
    assert _both(records_to_pubmed_xml(records), tmp_path) == records


def test_round_trip_template_through_writer(tmp_path: Path) -> None:
    [rec] = parse_pubmed_xml(TEMPLATE.read_bytes())
    assert _both(records_to_pubmed_xml([rec]), tmp_path) == [rec]


def test_inline_markup_and_medline_date(tmp_path: Path) -> None:
    body = (
        "<Journal><JournalIssue><PubDate><MedlineDate>2019 Dec-2020 Jan</MedlineDate></PubDate>"
        "</JournalIssue><Title>J Test</Title></Journal>"
        "<ArticleTitle>Umbilical <i>cord</i> MSCs at 10<sup>8</sup> cells in CO<sub>2</sub>"
        "</ArticleTitle><Abstract><AbstractText>Given 1.5 &#215; 10<sup>6</sup> cells/kg; "
        "p &lt; 0.05 and <b>no</b> SAE<sup>a</sup>.</AbstractText></Abstract>"
        "<AuthorList><Author><CollectiveName>MSC Safety Consortium</CollectiveName></Author>"
        '<Author ValidYN="N"><LastName>Wrong</LastName><Initials>X</Initials></Author>'
        "<Author><LastName>van der Berg</LastName><Initials>JA</Initials></Author></AuthorList>"
    )
    [rec] = _both(_article(body), tmp_path)
    assert rec.title == "Umbilical cord MSCs at 10(8) cells in CO2"
    assert rec.abstract == [
        AbstractSection("", "Given 1.5 × 10(6) cells/kg; p < 0.05 and no SAEa.", "")
    ]
    assert rec.year == 2019
    assert rec.authors == ["MSC Safety Consortium", "van der Berg JA"]


def test_render_markup() -> None:
    assert render_markup("2 x 10<sup>7</sup> and x<sup>2</sup>") == "2 x 10(7) and x2"


def test_newer_dtd_neither_fetches_nor_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []

    def spy(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("network")

    monkeypatch.setattr(Bio.Entrez.Parser, "urlopen", spy)
    future = (
        '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2031//EN" '
        '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_310101.dtd">'
    )
    body = (
        "<ArticleTitle>Future <NewElement>format</NewElement></ArticleTitle>"
        "<Language>eng</Language>"
    )
    [rec] = _both(_article(body, future), tmp_path)
    assert calls == []
    assert rec.language == "eng"
    assert rec.pmid == "90000042"


def test_biopython_network_access_fails_closed() -> None:
    with pytest.raises(RuntimeError, match="network"):
        Bio.Entrez.Parser.urlopen("https://dtd.nlm.nih.gov/x.dtd")


def test_xxe_cannot_read_local_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    doctype = f'<!DOCTYPE PubmedArticleSet [\n<!ENTITY xxe SYSTEM "file://{secret}">\n]>'
    data = _article("<ArticleTitle>leak: &xxe;</ArticleTitle>", doctype)
    # Both readers skip the reference: nothing is read from the file, nothing fails.
    [rec] = _both(data, tmp_path)
    assert "TOP-SECRET" not in repr(rec)
    assert rec.title == "leak:"


def test_entity_bomb_expands_nothing(tmp_path: Path) -> None:
    levels = ['<!ENTITY e0 "BOOM">']
    for i in range(1, 12):
        levels.append(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">')
    doctype = "<!DOCTYPE PubmedArticleSet [\n" + "\n".join(levels) + "\n]>"
    data = _article("<ArticleTitle>&e11;</ArticleTitle>", doctype)
    path = tmp_path / "bomb.xml"
    path.write_bytes(data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    [from_bio] = parse_pubmed_xml(data)
    # libxml2's amplification guard may refuse the file outright: refusing is harmless too.
    try:
        from_lxml = [r.title for r in iter_pubmed_xml_file(path)]
    except UsageError as exc:
        from_lxml = []
        assert "amplification" in str(exc)
    # 10**11 "BOOM"s would take minutes and hundreds of GB: both readers return at once.
    assert time.perf_counter() - start < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB
    assert from_bio.title == ""
    assert all("BOOM" not in t for t in from_lxml)


def test_truncated_and_error_bodies_are_usage_errors(tmp_path: Path) -> None:
    data = records_to_pubmed_xml(synthetic_records(3, seed=1))
    with pytest.raises(UsageError):
        parse_pubmed_xml(data[: len(data) // 2])
    with pytest.raises(UsageError, match="no <PubmedArticleSet>"):
        parse_pubmed_xml(b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>")
    path = tmp_path / "cut.xml"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UsageError, match=r"cut\.xml"):
        list(iter_pubmed_xml_file(path))


def test_empty_set() -> None:
    assert parse_pubmed_xml(records_to_pubmed_xml([])) == []


def test_record_dates_are_stable_and_in_year() -> None:
    rec = Record(pmid="90000123", year=2015, revised="2020-02-03")
    dates = record_dates(rec)
    assert dates == record_dates(Record(pmid="90000123", year=2015, revised="2020-02-03"))
    assert dates.pdat is not None and dates.pdat.year == 2015
    assert dates.edat is not None and dates.edat >= dates.pdat
    assert dates.mdat is not None and dates.mdat.isoformat() == "2020-02-03"
