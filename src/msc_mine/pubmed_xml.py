"""PubMed XML (efetch output, "Save as PubMed XML" files) to :class:`~msc_mine.records.Record`.

Example::

    >>> from msc_mine.pubmed_xml import parse_pubmed_xml, iter_pubmed_xml_file
    >>> records = parse_pubmed_xml(open("corpora/TEMPLATE_article.xml", "rb").read())
    >>> records[0].pmid, records[0].year, records[0].mesh[1].major
    ('90000001', 2021, True)
    >>> [r.pmid for r in iter_pubmed_xml_file("corpora/TEMPLATE_article.xml")]
    ['90000001']

Two entry points, one result. :func:`parse_pubmed_xml` reads one efetch batch with
Biopython's ``Bio.Entrez.read``, which holds the whole document in memory (so the caller
keeps memory bounded by the batch size). :func:`iter_pubmed_xml_file` streams files of any
size with ``lxml.etree.iterparse`` and clears each article once read, so memory stays flat.
Both feed the same field extraction (:func:`_make_record`), and the tests check that they
give identical records.

Safety. XML may come from anywhere (a downloaded export, a misbehaving server):

* ``Bio.Entrez.read`` fetches the DTD named in the DOCTYPE, from its bundled copies when it
  knows the file and from NCBI's host when it does not (a DTD newer than Biopython's
  newest, ``pubmed_250101.dtd``). We choose to *rewrite the prolog*: everything before the
  ``<PubmedArticleSet>`` root is replaced by the bundled DOCTYPE. That keeps parsing offline
  for every future DTD (new elements are accepted because we parse with
  ``validate=False``), and it also discards any internal DTD subset, which is where
  external entities (XXE) and entity bombs are declared; expat then skips their
  references (the external DTD might have declared them), so they add no text. Belt and
  braces, we fail closed by replacing ``Bio.Entrez.Parser.urlopen`` with a function that
  raises, so no code path in Biopython can reach the network from this process.
* The lxml reader never loads a DTD, never resolves entities and never uses the network
  (``load_dtd=False, resolve_entities=False, no_network=True``); unresolved entity
  references are dropped from the text, so an XXE reference reads nothing and a bomb
  expands nothing (libxml2's amplification guard may also refuse such a file outright).

Inline markup in titles, abstracts and keywords (``<i>``, ``<b>``, ``<sup>``, ``<sub>``)
is reduced to its text, except that a superscript right after a digit is written the way
PubMed's own text does: ``10<sup>6</sup>`` becomes ``10(6)``, which the dose parser reads.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import Bio.Entrez.Parser
from Bio import Entrez
from lxml import etree

from msc_mine.errors import UsageError
from msc_mine.pubmed_writer import DOCTYPE
from msc_mine.records import AbstractSection, MeshHeading, Record, normalize_doi

__all__ = ["iter_pubmed_xml_file", "parse_pubmed_xml", "render_markup"]


def _refuse_network(*args: object, **kwargs: object) -> NoReturn:
    raise RuntimeError(
        "msc-mine does not let Bio.Entrez fetch DTDs from the network; "
        "the PubMed prolog should have been rewritten to a bundled DTD"
    )


# Fail closed: Bio.Entrez.Parser calls urlopen for DTDs/XSDs it does not bundle.
setattr(Bio.Entrez.Parser, "urlopen", _refuse_network)  # noqa: B010  (not re-exported)

_PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n' + DOCTYPE.encode() + b"\n"
_ROOT = b"<PubmedArticleSet"

_SUP_AFTER_DIGIT = re.compile(r"(?<=\d)<sup>([^<]*)</sup>")
_INLINE_TAG = re.compile(r"</?(?:i|b|u|sup|sub|inf|em|strong|mml:[a-z]+)(?:\s[^<>]*)?/?>")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_INITIALS = re.compile(r"[A-Z]{1,4}")


def render_markup(text: str) -> str:
    """Plain text from PubMed's inline markup (``10<sup>6</sup>`` -> ``10(6)``).

    >>> render_markup("1 × 10<sup>6</sup> <i>in vivo</i> CO<sub>2</sub>")
    '1 × 10(6) in vivo CO2'
    """
    text = _SUP_AFTER_DIGIT.sub(r"(\1)", text)
    return _INLINE_TAG.sub("", text).strip()


# --- one set of raw fields, whichever parser read them ------------------------------------


@dataclass
class _Raw:
    """Strings as found in the XML; :func:`_make_record` normalizes them once for both paths."""

    pmid: str = ""
    title: str = ""
    journal: str = ""
    year: str = ""
    medline_date: str = ""
    revised: tuple[str, str, str] = ("", "", "")
    abstract: list[tuple[str, str, str]] = field(default_factory=list)  # label, category, text
    eloc_doi: str = ""
    ids: dict[str, str] = field(default_factory=dict)  # IdType -> first value
    authors: list[tuple[str, str, str]] = field(default_factory=list)  # last, initials, coll.
    language: str = ""
    publication_types: list[str] = field(default_factory=list)
    mesh: list[tuple[str, str, str, list[str]]] = field(default_factory=list)  # d, ui, Y/N, q
    keywords: list[str] = field(default_factory=list)
    retraction_in: list[str] = field(default_factory=list)


def _make_record(raw: _Raw) -> Record:
    year: int | None = None
    if raw.year.strip().isdigit():
        year = int(raw.year)
    elif m := _YEAR.search(raw.medline_date):
        # MedlineDate ("2019 Dec-2020 Jan", "Spring 2021"): its first year is the year.
        year = int(m.group(1))
    y, mo, d = (s.strip() for s in raw.revised)
    revised = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}" if y and mo and d else ""
    authors = []
    for last, initials, collective in raw.authors:
        if collective:
            authors.append(render_markup(collective))
        elif last:
            authors.append(f"{last.strip()} {initials.strip()}".strip())
    doi = raw.ids.get("doi") or raw.eloc_doi
    pmid = raw.pmid.strip()
    return Record(
        pmid=pmid,
        doi=normalize_doi(doi) if doi else "",
        pmcid=raw.ids.get("pmc", "").strip(),
        title=render_markup(raw.title),
        abstract=[
            AbstractSection(label.strip(), render_markup(text), category.strip())
            for label, category, text in raw.abstract
        ],
        journal=raw.journal.strip(),
        year=year,
        authors=authors,
        publication_types=[p.strip() for p in raw.publication_types],
        mesh=[
            MeshHeading(
                descriptor=descriptor.strip(),
                major=flag == "Y",  # the descriptor's own flag; qualifiers' flags not folded in
                qualifiers=tuple(q.strip() for q in qualifiers),
                ui=ui,
            )
            for descriptor, ui, flag, qualifiers in raw.mesh
        ],
        keywords=[k for k in (render_markup(k) for k in raw.keywords) if k],
        language=raw.language.strip(),
        revised=revised,
        retraction_in=[p.strip() for p in raw.retraction_in],
        source_ids=[f"pubmed:{pmid}"] if pmid else [],
    )


# --- Biopython path (efetch batches) ------------------------------------------------------


def _safe_document(data: bytes) -> bytes:
    start = data.find(_ROOT)
    if start < 0:
        raise UsageError("not PubMed XML: no <PubmedArticleSet> element found")
    return _PROLOG + data[start:]


def parse_pubmed_xml(data: bytes) -> list[Record]:
    """All articles of one PubMed XML document (an efetch batch), via ``Bio.Entrez.read``.

    Raises :class:`~msc_mine.errors.UsageError` when the data is not well-formed PubMed XML
    (truncated, an ``<ERROR>`` page).
    """
    try:
        tree = Entrez.read(  # type: ignore[no-untyped-call]
            io.BytesIO(_safe_document(data)), validate=False
        )
    except UsageError:
        raise
    except Exception as exc:  # expat, Biopython's CorruptedXMLError, ValueError, ...
        raise UsageError(f"malformed PubMed XML: {exc}") from None
    return [_make_record(_raw_from_bio(a)) for a in tree.get("PubmedArticle", [])]


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _attr(value: Any, name: str) -> str:
    attributes = getattr(value, "attributes", None) or {}
    return str(attributes.get(name, ""))


def _raw_from_bio(article: Mapping[str, Any]) -> _Raw:
    cit = article.get("MedlineCitation", {})
    art = cit.get("Article", {})
    journal = art.get("Journal", {})
    pubdate = journal.get("JournalIssue", {}).get("PubDate", {})
    revised = cit.get("DateRevised", {})
    raw = _Raw(
        pmid=_s(cit.get("PMID")),
        title=_s(art.get("ArticleTitle")),
        journal=_s(journal.get("Title")),
        year=_s(pubdate.get("Year")),
        medline_date=_s(pubdate.get("MedlineDate")),
        revised=(_s(revised.get("Year")), _s(revised.get("Month")), _s(revised.get("Day"))),
    )
    for text in art.get("Abstract", {}).get("AbstractText", []):
        raw.abstract.append((_attr(text, "Label"), _attr(text, "NlmCategory"), _s(text)))
    for eloc in art.get("ELocationID", []):
        if _attr(eloc, "EIdType") == "doi" and not raw.eloc_doi:
            raw.eloc_doi = _s(eloc)
    for aid in article.get("PubmedData", {}).get("ArticleIdList", []):
        raw.ids.setdefault(_attr(aid, "IdType"), _s(aid))
    for author in art.get("AuthorList", []):
        if _attr(author, "ValidYN") == "N":
            continue
        raw.authors.append(
            (
                _s(author.get("LastName")),
                _s(author.get("Initials")),
                _s(author.get("CollectiveName")),
            )
        )
    languages: Sequence[Any] = art.get("Language", [])
    raw.language = _s(languages[0]) if languages else ""
    raw.publication_types = [_s(p) for p in art.get("PublicationTypeList", [])]
    for heading in cit.get("MeshHeadingList", []):
        descriptor = heading.get("DescriptorName")
        raw.mesh.append(
            (
                _s(descriptor),
                _attr(descriptor, "UI"),
                _attr(descriptor, "MajorTopicYN"),
                [_s(q) for q in heading.get("QualifierName", [])],
            )
        )
    for keyword_list in cit.get("KeywordList", []):
        raw.keywords.extend(_s(k) for k in keyword_list)
    for comment in cit.get("CommentsCorrectionsList", []):
        if _attr(comment, "RefType") == "RetractionIn" and comment.get("PMID"):
            raw.retraction_in.append(_s(comment["PMID"]))
    return raw


# --- lxml path (files of any size) --------------------------------------------------------


def _markup(el: etree._Element | None) -> str:
    """The element's content as Biopython renders it: text with inline tags kept literally."""
    if el is None:
        return ""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            name = etree.QName(child).localname
            parts.append(f"<{name}>{_markup(child)}</{name}>")
        # Entity references (never resolved), comments and PIs contribute no text.
        parts.append(child.tail or "")
    return "".join(parts)


def _raw_from_lxml(article: etree._Element) -> _Raw:
    cit = article.find("MedlineCitation")
    if cit is None:
        return _Raw()
    art = cit.find("Article")
    art = art if art is not None else etree.Element("Article")
    pubdate = art.find("Journal/JournalIssue/PubDate")
    raw = _Raw(
        pmid=_markup(cit.find("PMID")),
        title=_markup(art.find("ArticleTitle")),
        journal=_markup(art.find("Journal/Title")),
        year=_markup(pubdate.find("Year")) if pubdate is not None else "",
        medline_date=_markup(pubdate.find("MedlineDate")) if pubdate is not None else "",
        revised=tuple(  # type: ignore[arg-type]
            _markup(cit.find(f"DateRevised/{p}")) for p in ("Year", "Month", "Day")
        ),
    )
    for text in art.iterfind("Abstract/AbstractText"):
        raw.abstract.append((text.get("Label", ""), text.get("NlmCategory", ""), _markup(text)))
    for eloc in art.iterfind("ELocationID"):
        if eloc.get("EIdType") == "doi" and not raw.eloc_doi:
            raw.eloc_doi = _markup(eloc)
    for aid in article.iterfind("PubmedData/ArticleIdList/ArticleId"):
        raw.ids.setdefault(aid.get("IdType", ""), _markup(aid))
    for author in art.iterfind("AuthorList/Author"):
        if author.get("ValidYN") == "N":
            continue
        raw.authors.append(
            (
                _markup(author.find("LastName")),
                _markup(author.find("Initials")),
                _markup(author.find("CollectiveName")),
            )
        )
    raw.language = _markup(art.find("Language"))
    raw.publication_types = [
        _markup(p) for p in art.iterfind("PublicationTypeList/PublicationType")
    ]
    for heading in cit.iterfind("MeshHeadingList/MeshHeading"):
        descriptor = heading.find("DescriptorName")
        raw.mesh.append(
            (
                _markup(descriptor),
                descriptor.get("UI", "") if descriptor is not None else "",
                descriptor.get("MajorTopicYN", "") if descriptor is not None else "",
                [_markup(q) for q in heading.iterfind("QualifierName")],
            )
        )
    raw.keywords = [_markup(k) for k in cit.iterfind("KeywordList/Keyword")]
    for comment in cit.iterfind("CommentsCorrectionsList/CommentsCorrections"):
        pmid = comment.find("PMID")
        if comment.get("RefType") == "RetractionIn" and pmid is not None:
            raw.retraction_in.append(_markup(pmid))
    return raw


def iter_pubmed_xml_file(path: str | Path) -> Iterator[Record]:
    """Stream the articles of a PubMed XML file with flat memory, whatever its size.

    Raises :class:`~msc_mine.errors.UsageError` naming the file when it is not
    well-formed XML; records before the fault have already been yielded.
    """
    context = etree.iterparse(
        str(path),
        events=("end",),
        tag="PubmedArticle",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for _, element in context:
            yield _make_record(_raw_from_lxml(element))
            # Free the article and every finished sibling before it: flat memory.
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise UsageError(f"{path}: malformed XML: {exc}") from None
