"""Plain bibliographic records, the currency of every stage.

Example::

    >>> from msc_mine.records import Record, AbstractSection
    >>> rec = Record(pmid="36043768", title="Safety of intravenous MSCs",
    ...              abstract=[AbstractSection("RESULTS", "No SAEs occurred.")])
    >>> rec.abstract_text
    'RESULTS: No SAEs occurred.'

Readers (PubMed XML, MEDLINE, RIS) and the Entrez client produce ``Record``s;
the store saves them; extraction and screening read them. Nothing here does I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class AbstractSection:
    """One abstract paragraph; ``label`` is PubMed's Label (``METHODS``) or ``""``."""

    label: str
    text: str
    nlm_category: str = ""


@dataclass(frozen=True)
class MeshHeading:
    """A MeSH descriptor with its major-topic flag and qualifiers."""

    descriptor: str
    major: bool = False
    qualifiers: tuple[str, ...] = ()
    ui: str = ""


@dataclass
class Record:
    """One article, whatever source it came from.

    ``pmid`` is the PubMed id as text; records without one (RIS from Embase, say)
    carry ``source_ids`` and get a stable prefixed id from :attr:`key`.
    """

    pmid: str = ""
    doi: str = ""
    pmcid: str = ""
    title: str = ""
    abstract: list[AbstractSection] = field(default_factory=list)
    journal: str = ""
    year: int | None = None
    authors: list[str] = field(default_factory=list)  # "Family AB"
    publication_types: list[str] = field(default_factory=list)
    mesh: list[MeshHeading] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    language: str = ""
    revised: str = ""  # ISO date of PubMed's DateRevised, "" if unknown
    retraction_in: list[str] = field(default_factory=list)  # PMIDs of retraction notices
    source_ids: list[str] = field(default_factory=list)  # e.g. "pubmed:123", "ris:embase:L456"

    @property
    def key(self) -> str:
        """Stable id: the PMID, else ``doi:<doi>``, else the first source id."""
        if self.pmid:
            return self.pmid
        if self.doi:
            return f"doi:{self.doi}"
        if self.source_ids:
            return self.source_ids[0]
        return "title:" + normalize_title(self.title)[:80]

    @property
    def abstract_text(self) -> str:
        """The abstract as one string, structured sections as ``LABEL: text``."""
        parts = [f"{s.label}: {s.text}" if s.label else s.text for s in self.abstract]
        return "\n".join(parts)

    @property
    def first_author(self) -> str:
        return self.authors[0] if self.authors else ""

    @property
    def is_retracted(self) -> bool:
        return bool(self.retraction_in) or "Retracted Publication" in self.publication_types

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Record:
        d = dict(d)
        d["abstract"] = [AbstractSection(**s) for s in d.get("abstract", [])]
        d["mesh"] = [
            MeshHeading(
                descriptor=m["descriptor"],
                major=m.get("major", False),
                qualifiers=tuple(m.get("qualifiers", ())),
                ui=m.get("ui", ""),
            )
            for m in d.get("mesh", [])
        ]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_title(title: str) -> str:
    """Lower-case ASCII letters and digits only, single-spaced: the title-dedup key."""
    t = unicodedata.normalize("NFKD", title)
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    return _NON_ALNUM.sub(" ", t).strip()


def normalize_doi(doi: str) -> str:
    """Lower-case DOI without resolver prefix (codebook: ``doi``)."""
    d = doi.strip().lower()
    for prefix in (
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi:",
    ):
        if d.startswith(prefix):
            d = d[len(prefix) :]
    return d.strip()
