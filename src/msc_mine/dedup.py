"""Deduplication of bibliographic records across sources (PubMed, MEDLINE files, RIS exports).

Example::

    >>> from msc_mine.records import Record
    >>> from msc_mine.dedup import deduplicate
    >>> pubmed = Record(pmid="90000001", doi="10.1000/ab.1", title="MSCs in MS",
    ...                 year=2020, publication_types=["Journal Article"],
    ...                 source_ids=["pubmed:90000001"])
    >>> embase = Record(doi="https://doi.org/10.1000/AB.1", title="MSCs in MS.", year=2020,
    ...                 source_ids=["ris:embase:L123"])
    >>> result = deduplicate([embase, pubmed])
    >>> [r.key for r in result.records], result.duplicates
    (['90000001'], 1)
    >>> result.records[0].source_ids
    ['ris:embase:L123', 'pubmed:90000001']

Method: a cascade of exact keys, as reference managers and systematic-review tools do it
(PMID, then DOI, then normalized title + publication year): a record is a duplicate of the
first stored record that shares its PMID, else its normalized DOI, else its normalized title
(``records.normalize_title``: accents, case and punctuation folded) together with its year.
A weaker key never overrides a stronger one that disagrees: two records with different PMIDs
(or different DOIs) are never merged by title, since errata and companion papers share titles.

:class:`DedupIndex` holds the key index, so that the store (``msc_mine.store``) and an
in-memory pass (:func:`deduplicate`) share one implementation; :func:`merge_records` decides
what the merged record keeps: the PubMed copy wins (it carries MeSH and publication types),
every source id is kept, and empty fields are filled from the other copy.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from msc_mine.records import Record, normalize_doi, normalize_title

__all__ = [
    "DedupIndex",
    "DedupResult",
    "Match",
    "deduplicate",
    "is_pubmed_record",
    "merge_records",
    "primary_source_ids",
    "title_year_key",
]

# Titles shorter than this (after normalization) are too generic to identify an article
# ("editorial", "erratum", "correction"): they never merge by title + year alone.
MIN_TITLE_CHARS = 20


# Each record's title is normalized several times on its way into the store (match, index,
# title_norm column); the cache makes that once.
_normalize_title = functools.lru_cache(maxsize=4096)(normalize_title)


def title_year_key(record: Record) -> tuple[str, int] | None:
    """The (normalized title, year) key, or ``None`` when either is missing or too short."""
    title = _normalize_title(record.title)
    if record.year is None or len(title) < MIN_TITLE_CHARS:
        return None
    return title, record.year


def is_pubmed_record(record: Record) -> bool:
    """Whether the record came from PubMed proper (it has a PMID and PubMed's indexing).

    An Embase or Scopus export may carry a PMID too, but not MeSH, publication types or a
    revision date: those are what make the PubMed copy the better one to keep.
    """
    return bool(record.pmid) and bool(record.mesh or record.publication_types or record.revised)


def primary_source_ids(record: Record) -> list[str]:
    """The record's source ids, or one made from its PMID / key when a reader gave none."""
    if record.source_ids:
        return list(dict.fromkeys(record.source_ids))
    return [f"pubmed:{record.pmid}"] if record.pmid else [record.key]


@dataclass(frozen=True)
class Match:
    """An existing key a record duplicates, and the key type that matched it."""

    key: str
    method: str  # "pmid", "doi" or "title_year"


class DedupIndex:
    """The PMID / DOI / title + year index of records already seen, by stored key.

    ``match`` finds the record an incoming one duplicates; ``add`` and ``remove`` keep the
    index in step with what is stored (the store re-keys a record when a PubMed copy of a
    DOI-keyed record arrives).
    """

    def __init__(self) -> None:
        self._by_pmid: dict[str, str] = {}
        self._by_doi: dict[str, str] = {}
        self._by_title: dict[tuple[str, int], str] = {}
        self._ids: dict[str, tuple[str, str, tuple[str, int] | None]] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def add(self, key: str, record: Record) -> None:
        """Index ``record`` under ``key`` (replacing what the key had before)."""
        self.remove(key)
        self.add_keys(key, record.pmid, normalize_doi(record.doi), title_year_key(record))

    def add_keys(self, key: str, pmid: str, doi: str, title_year: tuple[str, int] | None) -> None:
        """Index a key from its stored columns (the store loads the index this way)."""
        self._ids[key] = (pmid, doi, title_year)
        # setdefault: the first record under a key keeps it, like the first stored copy.
        if pmid:
            self._by_pmid.setdefault(pmid, key)
        if doi:
            self._by_doi.setdefault(doi, key)
        if title_year:
            self._by_title.setdefault(title_year, key)

    def remove(self, key: str) -> None:
        """Forget ``key`` and the PMID, DOI and title entries that point at it."""
        old = self._ids.pop(key, None)
        if old is None:
            return
        pmid, doi, title_year = old
        if pmid and self._by_pmid.get(pmid) == key:
            del self._by_pmid[pmid]
        if doi and self._by_doi.get(doi) == key:
            del self._by_doi[doi]
        if title_year and self._by_title.get(title_year) == key:
            del self._by_title[title_year]

    def match(self, record: Record) -> Match | None:
        """The indexed record that ``record`` duplicates, or ``None``."""
        pmid = record.pmid
        doi = normalize_doi(record.doi)
        if pmid and pmid in self._by_pmid:
            return Match(self._by_pmid[pmid], "pmid")
        if doi and doi in self._by_doi:
            key = self._by_doi[doi]
            if self._compatible(key, pmid, ""):
                return Match(key, "doi")
        title_year = title_year_key(record)
        if title_year and title_year in self._by_title:
            key = self._by_title[title_year]
            if self._compatible(key, pmid, doi):
                return Match(key, "title_year")
        return None

    def _compatible(self, key: str, pmid: str, doi: str) -> bool:
        """False when the candidate has a different PMID or DOI: then it is another paper."""
        other_pmid, other_doi, _ = self._ids[key]
        if pmid and other_pmid and pmid != other_pmid:
            return False
        return not (doi and other_doi and doi != other_doi)


_FILLABLE = ("doi", "pmcid", "title", "journal", "language", "revised")
_FILLABLE_LISTS = ("abstract", "authors", "keywords", "publication_types", "mesh")


def _prefer_incoming(stored: Record, incoming: Record) -> bool:
    """Whether ``incoming`` should become the base of the merged record."""
    stored_pubmed, incoming_pubmed = is_pubmed_record(stored), is_pubmed_record(incoming)
    if stored_pubmed != incoming_pubmed:
        return incoming_pubmed
    # Same kind of copy: only a newer revision replaces (ISO dates compare as text), and
    # a dated copy replaces an undated one. Two undated copies keep the first seen, so
    # importing the same files again changes nothing (no ping-pong between exports).
    if not incoming.revised:
        return False
    return not stored.revised or incoming.revised > stored.revised


def merge_records(stored: Record, incoming: Record) -> Record:
    """Merge two copies of one article; the result keeps every source id of both.

    The base is the PubMed copy when only one is from PubMed, else the incoming copy when
    its ``revised`` date is newer than the stored one's (or only the incoming has one).
    Fields the base leaves empty are filled from the other copy; retraction notices
    accumulate.
    """
    base, other = (incoming, stored) if _prefer_incoming(stored, incoming) else (stored, incoming)
    merged = dataclasses.replace(base)
    for name in _FILLABLE:
        if not getattr(merged, name):
            setattr(merged, name, getattr(other, name))
    for name in _FILLABLE_LISTS:
        if not getattr(merged, name):
            setattr(merged, name, list(getattr(other, name)))
    if merged.year is None:
        merged.year = other.year
    if not merged.pmid:
        merged.pmid = other.pmid
    merged.doi = normalize_doi(merged.doi)
    merged.retraction_in = list(dict.fromkeys([*base.retraction_in, *other.retraction_in]))
    merged.source_ids = list(
        dict.fromkeys([*primary_source_ids(stored), *primary_source_ids(incoming)])
    )
    return merged


@dataclass
class DedupResult:
    """Unique records and how many input records were duplicates of an earlier one.

    Records keep first-seen order, except that one re-keyed to its PMID moves to the end.
    """

    records: list[Record]
    duplicates: int
    by_method: dict[str, int]


def deduplicate(records: Iterable[Record]) -> DedupResult:
    """Merge duplicates among ``records`` in memory (the store does the same per batch)."""
    index = DedupIndex()
    kept: dict[str, Record] = {}
    by_method: dict[str, int] = {"pmid": 0, "doi": 0, "title_year": 0}
    duplicates = 0
    for record in records:
        found = index.match(record)
        if found is None:
            record = dataclasses.replace(record, source_ids=primary_source_ids(record))
            kept[record.key] = record
            index.add(record.key, record)
            continue
        duplicates += 1
        by_method[found.method] += 1
        merged = merge_records(kept[found.key], record)
        if merged.key != found.key:
            # A PubMed copy arriving after a DOI-keyed one moves the record to its PMID key.
            del kept[found.key]
            index.remove(found.key)
        kept[merged.key] = merged
        index.add(merged.key, merged)
    return DedupResult(list(kept.values()), duplicates, by_method)
