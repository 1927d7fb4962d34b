"""Format registry: choice by extension and content, errors, and the three readers agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from msc_mine.errors import UsageError
from msc_mine.readers import FORMATS, pick_format, read_records
from msc_mine.store import text_hash

SAMPLES = Path(__file__).resolve().parent.parent / "corpora" / "import_samples"

# One fictional article written three ways (our own words), to check the readers agree.
XML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2099//EN"
 "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_990101.dtd">
<PubmedArticleSet>
<PubmedArticle>
<MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">90050001</PMID>
<DateRevised><Year>2023</Year><Month>06</Month><Day>11</Day></DateRevised>
<Article PubModel="Print">
<Journal><JournalIssue CitedMedium="Internet"><PubDate><Year>2022</Year><Month>Feb</Month>
</PubDate></JournalIssue><Title>Mesenchymal cell therapy</Title></Journal>
<ArticleTitle>Intravenous MSCs in relapsing multiple sclerosis: a phase 2 trial.</ArticleTitle>
<Abstract>
<AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND"
>Whether MSCs help is unsettled.</AbstractText>
<AbstractText Label="RESULTS" NlmCategory="RESULTS"
>No serious adverse events occurred.</AbstractText>
</Abstract>
<AuthorList><Author><LastName>Ødegård</LastName><ForeName>Håkon</ForeName>
<Initials>H</Initials></Author></AuthorList>
<Language>eng</Language>
<PublicationTypeList>
<PublicationType UI="D016428">Journal Article</PublicationType>
</PublicationTypeList>
</Article>
<MeshHeadingList>
<MeshHeading><DescriptorName UI="D000001" MajorTopicYN="Y"
>Mesenchymal Stem Cell Transplantation</DescriptorName>
<QualifierName UI="Q1" MajorTopicYN="N">adverse effects</QualifierName>
<QualifierName UI="Q2" MajorTopicYN="Y">methods</QualifierName></MeshHeading>
<MeshHeading><DescriptorName UI="D000002" MajorTopicYN="N">Humans</DescriptorName></MeshHeading>
</MeshHeadingList>
</MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">90050001</ArticleId>
<ArticleId IdType="doi">10.1000/MSCT.2022.0101</ArticleId></ArticleIdList></PubmedData>
</PubmedArticle>
</PubmedArticleSet>
"""

NBIB = """PMID- 90050001
LR  - 20230611
DP  - 2022 Feb
TI  - Intravenous MSCs in relapsing multiple sclerosis: a phase 2 trial.
AB  - BACKGROUND: Whether MSCs help is unsettled. RESULTS: No serious adverse events
      occurred.
FAU - Ødegård, Håkon
AU  - Ødegård H
LA  - eng
PT  - Journal Article
JT  - Mesenchymal cell therapy
MH  - *Mesenchymal Stem Cell Transplantation/adverse effects/*methods
MH  - Humans
AID - 10.1000/MSCT.2022.0101 [doi]
"""

RIS = """TY  - JOUR
TI  - Intravenous MSCs in relapsing multiple sclerosis: a phase 2 trial
AU  - Ødegård, Håkon
PY  - 2022
DO  - 10.1000/msct.2022.0101
ER  -
"""


def test_registry_rows() -> None:
    assert [f.name for f in FORMATS] == ["pubmed_xml", "medline", "ris"]
    assert {ext for f in FORMATS for ext in f.extensions} == {
        ".xml",
        ".nbib",
        ".txt",
        ".medline",
        ".ris",
    }


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.xml", XML, "pubmed_xml"),
        ("a.nbib", NBIB, "medline"),
        ("a.medline", NBIB, "medline"),
        ("a.ris", RIS, "ris"),
        ("a.txt", NBIB, "medline"),
        ("a.txt", RIS, "ris"),  # a .txt RIS export: content decides
        ("a.ris", NBIB, "medline"),  # misnamed: content decides
        ("export", RIS, "ris"),  # no extension
        ("a.XML", XML, "pubmed_xml"),
    ],
)
def test_pick_by_extension_then_content(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert pick_format(path).name == expected


def test_forced_format_and_unknown_format_name(tmp_path: Path) -> None:
    path = tmp_path / "odd.dat"
    path.write_text(RIS, encoding="utf-8")
    assert pick_format(path, "ris").name == "ris"
    with pytest.raises(UsageError, match="unknown format 'csv'"):
        pick_format(path, "csv")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.csv", "pmid,title\n1,x\n", "not a format msc-mine reads"),
        ("empty.ris", "", "file is empty"),
        ("blank.nbib", "\n  \n", "file is empty"),
    ],
)
def test_unknown_or_empty_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as info:
        list(read_records(path))
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read_records(tmp_path / "nope.ris")
    with pytest.raises(UsageError, match="is a folder"):
        read_records(tmp_path)


def test_malformed_xml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(XML[: len(XML) // 2], encoding="utf-8")
    with pytest.raises(UsageError, match=r"cut\.xml"):
        list(read_records(path))


def test_samples_read(tmp_path: Path) -> None:
    counts = {p.name: sum(1 for _ in read_records(p)) for p in sorted(SAMPLES.iterdir())}
    assert counts == {
        "sample.nbib": 4,
        "sample_embase.ris": 4,
        "sample_scopus.ris": 3,
        "sample_wos.ris": 3,
    }


def test_xml_and_medline_give_the_same_record(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(XML, encoding="utf-8")
    (tmp_path / "a.nbib").write_text(NBIB, encoding="utf-8")
    (tmp_path / "a.ris").write_text(RIS, encoding="utf-8")
    (xml,) = read_records(tmp_path / "a.xml")
    (med,) = read_records(tmp_path / "a.nbib")
    (ris,) = read_records(tmp_path / "a.ris")
    assert med.pmid == xml.pmid == "90050001"
    assert med.doi == xml.doi == ris.doi == "10.1000/msct.2022.0101"
    assert med.title == xml.title
    assert [(s.label, s.text) for s in med.abstract] == [(s.label, s.text) for s in xml.abstract]
    assert med.mesh == [
        type(m)(m.descriptor, m.major, m.qualifiers) for m in xml.mesh
    ]  # MEDLINE has no MeSH UIs
    assert med.authors == xml.authors == ris.authors == ["Ødegård H"]
    assert (med.year, med.revised, med.language) == (xml.year, xml.revised, xml.language)
    assert med.source_ids == xml.source_ids == ["pubmed:90050001"]
    # Extraction sees the same text whichever file the record came from.
    assert text_hash(med) == text_hash(xml)
