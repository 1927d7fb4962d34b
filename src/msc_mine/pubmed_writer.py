"""Write :class:`~msc_mine.records.Record`\\ s as PubMed XML (``efetch`` format).

Example::

    >>> from msc_mine.records import Record, AbstractSection
    >>> from msc_mine.pubmed_writer import records_to_pubmed_xml
    >>> from msc_mine.pubmed_xml import parse_pubmed_xml
    >>> rec = Record(pmid="90000001", title="IV MSCs in MS.", journal="Stem Cell Res Ther",
    ...              year=2021, abstract=[AbstractSection("RESULTS", "No SAEs.", "RESULTS")],
    ...              source_ids=["pubmed:90000001"])
    >>> xml = records_to_pubmed_xml([rec])
    >>> xml.startswith(b'<?xml version="1.0" ?>')
    True
    >>> parse_pubmed_xml(xml) == [rec]
    True

The output follows ``corpora/TEMPLATE_article.xml`` and NCBI's ``pubmed_250101.dtd``: the
local E-utilities test server serves it, generators of test corpora write it, and the
parsers in :mod:`msc_mine.pubmed_xml` read it back to the same records (round trip).

A record carries no print/entry dates beyond its year, so :func:`record_dates` derives a
publication, entry and modification date from the PMID, deterministically. That spreads
generated records over the months of their year, which the test server needs to answer
``mindate``/``maxdate`` searches and date-window splitting the way PubMed does.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from lxml import etree

from msc_mine.records import Record

__all__ = [
    "DOCTYPE",
    "RecordDates",
    "article_xml",
    "record_dates",
    "records_to_pubmed_xml",
    "wrap_articles",
]

# The newest PubMed DTD that Biopython 1.88 bundles; naming it keeps Bio.Entrez offline.
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
_HEAD = b'<?xml version="1.0" ?>\n' + DOCTYPE.encode() + b"\n<PubmedArticleSet>\n"
_TAIL = b"</PubmedArticleSet>\n"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class RecordDates:
    """The three PubMed dates searchable as ``[pdat]``, ``[edat]`` and ``[mdat]``."""

    pdat: date | None
    edat: date | None
    mdat: date | None


def _seed(record: Record) -> int:
    # crc32 rather than hash(): stable across processes (PYTHONHASHSEED), so a test
    # server and a benchmark agree on every record's dates.
    return zlib.crc32(record.key.encode())


def record_dates(record: Record) -> RecordDates:
    """Publication, entry and modification dates for ``record``.

    ``pdat`` lies in the record's year (month and day derived from the PMID), the entry
    date follows it by 0-29 days, and ``mdat`` is the revision date when known.
    """
    if record.year is None:
        return RecordDates(None, None, _iso(record.revised))
    h = _seed(record)
    pdat = date(record.year, 1 + h % 12, 1 + (h // 12) % 28)
    edat = pdat + timedelta(days=(h // 336) % 30)
    return RecordDates(pdat, edat, _iso(record.revised) or edat)


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _date(parent: etree._Element, tag: str, d: date, **attrs: str) -> None:
    el = _sub(parent, tag, **attrs)
    _sub(el, "Year", f"{d.year:04d}")
    _sub(el, "Month", f"{d.month:02d}")
    _sub(el, "Day", f"{d.day:02d}")


def _author(parent: etree._Element, name: str) -> None:
    author = _sub(parent, "Author", ValidYN="Y")
    family, _, initials = name.rpartition(" ")
    if family and initials.isalpha() and initials.isupper() and len(initials) <= 4:
        _sub(author, "LastName", family)
        _sub(author, "ForeName", initials)
        _sub(author, "Initials", initials)
    elif " " in name:
        # "MSC Safety Study Group": PubMed keeps group authors whole.
        _sub(author, "CollectiveName", name)
    else:
        _sub(author, "LastName", name)


def _article_element(record: Record) -> etree._Element:
    dates = record_dates(record)
    art = etree.Element("PubmedArticle")
    cit = _sub(art, "MedlineCitation", Status="MEDLINE", Owner="NLM")
    _sub(cit, "PMID", record.pmid, Version="1")
    revised = _iso(record.revised)
    if revised:
        _date(cit, "DateRevised", revised)
    article = _sub(cit, "Article", PubModel="Print-Electronic")
    journal = _sub(article, "Journal")
    issue = _sub(journal, "JournalIssue", CitedMedium="Internet")
    pubdate = _sub(issue, "PubDate")
    if dates.pdat:
        _sub(pubdate, "Year", f"{dates.pdat.year:04d}")
        _sub(pubdate, "Month", _MONTHS[dates.pdat.month - 1])
        _sub(pubdate, "Day", f"{dates.pdat.day:02d}")
    _sub(journal, "Title", record.journal)
    _sub(article, "ArticleTitle", record.title)
    if record.doi:
        _sub(article, "ELocationID", record.doi, EIdType="doi", ValidYN="Y")
    if record.abstract:
        abstract = _sub(article, "Abstract")
        for section in record.abstract:
            attrs = {}
            if section.label:
                attrs["Label"] = section.label
            if section.nlm_category:
                attrs["NlmCategory"] = section.nlm_category
            _sub(abstract, "AbstractText", section.text, **attrs)
    if record.authors:
        authors = _sub(article, "AuthorList", CompleteYN="Y")
        for name in record.authors:
            _author(authors, name)
    if record.language:
        _sub(article, "Language", record.language)
    types = _sub(article, "PublicationTypeList")
    for ptype in record.publication_types:
        _sub(types, "PublicationType", ptype)
    info = _sub(cit, "MedlineJournalInfo")
    _sub(info, "MedlineTA", record.journal)
    if record.retraction_in:
        comments = _sub(cit, "CommentsCorrectionsList")
        for pmid in record.retraction_in:
            cc = _sub(comments, "CommentsCorrections", RefType="RetractionIn")
            _sub(cc, "RefSource", f"{record.journal}. Retraction notice.")
            _sub(cc, "PMID", pmid, Version="1")
    if record.mesh:
        headings = _sub(cit, "MeshHeadingList")
        for mesh in record.mesh:
            heading = _sub(headings, "MeshHeading")
            dattrs = {"MajorTopicYN": "Y" if mesh.major else "N"}
            if mesh.ui:
                dattrs = {"UI": mesh.ui, **dattrs}
            _sub(heading, "DescriptorName", mesh.descriptor, **dattrs)
            for qualifier in mesh.qualifiers:
                _sub(heading, "QualifierName", qualifier, MajorTopicYN="N")
    if record.keywords:
        keywords = _sub(cit, "KeywordList", Owner="NOTNLM")
        for keyword in record.keywords:
            _sub(keywords, "Keyword", keyword, MajorTopicYN="N")
    data = _sub(art, "PubmedData")
    if dates.edat:
        history = _sub(data, "History")
        _date(history, "PubMedPubDate", dates.edat, PubStatus="entrez")
        _date(history, "PubMedPubDate", dates.edat, PubStatus="pubmed")
    _sub(data, "PublicationStatus", "ppublish")
    ids = _sub(data, "ArticleIdList")
    _sub(ids, "ArticleId", record.pmid, IdType="pubmed")
    if record.doi:
        _sub(ids, "ArticleId", record.doi, IdType="doi")
    if record.pmcid:
        _sub(ids, "ArticleId", record.pmcid, IdType="pmc")
    return art


def article_xml(record: Record) -> bytes:
    """One ``<PubmedArticle>`` element as UTF-8 bytes (no XML declaration).

    Servers that answer many batches from the same records cache these fragments and
    join them with :func:`wrap_articles`.
    """
    return etree.tostring(_article_element(record), encoding="utf-8") + b"\n"


def wrap_articles(fragments: Iterable[bytes]) -> bytes:
    """Join ``<PubmedArticle>`` fragments into a whole efetch-style document."""
    return _HEAD + b"".join(fragments) + _TAIL


def records_to_pubmed_xml(records: Iterable[Record]) -> bytes:
    """A ``PubmedArticleSet`` document holding ``records``, in order."""
    return wrap_articles(article_xml(r) for r in records)
