"""Deduplication: PMID, DOI and title + year paths, counts, merged source ids."""

from __future__ import annotations

import pytest

from msc_mine.dedup import DedupIndex, deduplicate, merge_records, title_year_key
from msc_mine.records import MeshHeading, Record

TITLE = "Intravenous bone marrow mesenchymal stromal cells in relapsing multiple sclerosis"


def pubmed(pmid: str = "90050001", **kw: object) -> Record:
    base: dict[str, object] = dict(
        pmid=pmid,
        title=TITLE,
        year=2022,
        publication_types=["Journal Article"],
        mesh=[MeshHeading("Multiple Sclerosis", major=True)],
        revised="2023-06-11",
        source_ids=[f"pubmed:{pmid}"],
    )
    base.update(kw)
    return Record(**base)  # type: ignore[arg-type]


def ris(source_id: str, **kw: object) -> Record:
    base: dict[str, object] = dict(title=TITLE, year=2022, source_ids=[source_id])
    base.update(kw)
    return Record(**base)  # type: ignore[arg-type]


def test_pmid_match_merges_and_keeps_both_source_ids() -> None:
    result = deduplicate([pubmed(), ris("ris:embase:L1", pmid="90050001", title="Other words")])
    assert result.duplicates == 1
    assert result.by_method["pmid"] == 1
    (rec,) = result.records
    assert rec.source_ids == ["pubmed:90050001", "ris:embase:L1"]
    assert rec.title == TITLE  # the PubMed copy wins


@pytest.mark.parametrize(
    "doi",
    [
        "10.1000/ABC.1",
        "https://doi.org/10.1000/abc.1",
        "http://dx.doi.org/10.1000/Abc.1",
        "doi:10.1000/abc.1",
        " 10.1000/abc.1 ",
    ],
)
def test_doi_match_ignores_case_and_resolver_prefixes(doi: str) -> None:
    first = ris("ris:wos:WOS:1", doi="10.1000/abc.1", title="A title long enough to count")
    second = ris("ris:scopus:2-s2.0-1", doi=doi, title="Entirely different wording here")
    result = deduplicate([first, second])
    assert result.duplicates == 1
    assert result.by_method["doi"] == 1
    assert result.records[0].doi == "10.1000/abc.1"
    assert result.records[0].key == "doi:10.1000/abc.1"


@pytest.mark.parametrize(
    "variant",
    [
        TITLE.upper(),
        TITLE + ".",
        "Intravenous bone-marrow mesenchymal stromal cells in relapsing multiple sclerosis!",
        "Intravénous bone marrow mésenchymal stromal cells in relapsing multiple sclérosis",
        "  Intravenous   bone marrow mesenchymal stromal cells: in relapsing multiple sclerosis",
    ],
)
def test_title_year_match_folds_punctuation_case_and_accents(variant: str) -> None:
    result = deduplicate([ris("ris:embase:L1"), ris("ris:wos:WOS:9", title=variant)])
    assert result.duplicates == 1
    assert result.by_method["title_year"] == 1
    assert result.records[0].source_ids == ["ris:embase:L1", "ris:wos:WOS:9"]


def test_same_title_different_year_is_not_a_duplicate() -> None:
    result = deduplicate([ris("ris:a:1"), ris("ris:b:2", year=2023)])
    assert result.duplicates == 0
    assert len(result.records) == 2


def test_short_generic_titles_never_merge_by_title() -> None:
    assert title_year_key(Record(title="Erratum.", year=2020)) is None
    result = deduplicate([ris("ris:a:1", title="Erratum"), ris("ris:b:2", title="Erratum")])
    assert result.duplicates == 0


def test_conflicting_pmids_block_doi_and_title_matches() -> None:
    # An erratum can share the DOI and title of its article but has its own PMID.
    a = pubmed("90050001", doi="10.1000/x")
    b = pubmed("90050002", doi="10.1000/x", source_ids=["pubmed:90050002"])
    result = deduplicate([a, b])
    assert result.duplicates == 0
    assert {r.key for r in result.records} == {"90050001", "90050002"}


def test_conflicting_dois_block_title_match() -> None:
    a = ris("ris:a:1", doi="10.1000/one")
    b = ris("ris:b:2", doi="10.1000/two")
    assert deduplicate([a, b]).duplicates == 0


def test_pubmed_copy_wins_whatever_the_order_and_record_moves_to_pmid_key() -> None:
    embase = ris("ris:embase:L7", doi="10.1000/abc", title=TITLE, journal="Emb J")
    result = deduplicate([embase, pubmed(doi="10.1000/abc", journal="")])
    (rec,) = result.records
    assert rec.key == "90050001"
    assert rec.mesh and rec.publication_types == ["Journal Article"]
    assert rec.journal == "Emb J"  # empty PubMed field filled from the other copy
    assert rec.source_ids == ["ris:embase:L7", "pubmed:90050001"]


def test_newer_revision_replaces_older_and_not_the_reverse() -> None:
    old = pubmed(title=TITLE + " (old)", revised="2021-01-01")
    new = pubmed(title=TITLE + " (new)", revised="2024-01-01")
    assert merge_records(old, new).title.endswith("(new)")
    assert merge_records(new, old).title.endswith("(new)")


def test_two_undated_non_pubmed_copies_keep_the_first() -> None:
    first = ris("ris:a:1", title=TITLE, authors=["Varga É"])
    second = ris("ris:b:2", title=TITLE.upper(), authors=["Varga E"])
    merged = merge_records(first, second)
    assert merged.authors == ["Varga É"]
    assert merge_records(merged, second) == merged  # idempotent on re-import


def test_counts_over_a_mixed_batch() -> None:
    records = [
        pubmed("90050001", doi="10.1000/a"),
        pubmed("90050002", title="Umbilical cord MSCs in moderate pneumonia, a cohort"),
        ris("ris:embase:L1", pmid="90050001"),  # pmid
        ris("ris:embase:L2", doi="10.1000/A", title="Different wording of the same paper"),  # doi
        ris("ris:wos:W3", title="UMBILICAL CORD MSCS IN MODERATE PNEUMONIA - A COHORT"),  # title
        ris("ris:scopus:S4", title="A paper nobody else exported, long title", year=2020),
    ]
    result = deduplicate(records)
    assert result.duplicates == 3
    assert result.by_method == {"pmid": 1, "doi": 1, "title_year": 1}
    assert len(result.records) == 3
    ids = {r.key: r.source_ids for r in result.records}
    assert ids["90050001"] == ["pubmed:90050001", "ris:embase:L1", "ris:embase:L2"]
    assert ids["90050002"] == ["pubmed:90050002", "ris:wos:W3"]


def test_index_remove_forgets_every_key_of_a_record() -> None:
    index = DedupIndex()
    rec = pubmed(doi="10.1000/abc")
    index.add(rec.key, rec)
    assert index.match(ris("x", doi="10.1000/ABC")) is not None
    index.remove(rec.key)
    assert len(index) == 0
    assert index.match(rec) is None
