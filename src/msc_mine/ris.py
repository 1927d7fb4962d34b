"""Read RIS exports (Embase, Web of Science, Scopus and generic RIS) with ``rispy``.

Example::

    >>> import io
    >>> from msc_mine.ris import parse_ris
    >>> text = '''TY  - JOUR
    ... T1  - Umbilical cord MSCs for knee osteoarthritis
    ... A1  - Okafor C.N.
    ... Y1  - 2022//
    ... JF  - Journal of Regenerative Orthopaedics
    ... DO  - https://doi.org/10.1000/JRO.22.7
    ... U2  - L2019000001
    ... C5  - 90000123
    ... DB  - Embase
    ... ER  -
    ... '''
    >>> rec = next(parse_ris(io.StringIO(text)))
    >>> rec.pmid, rec.doi, rec.year, rec.authors, rec.source_ids
    ('90000123', '10.1000/jro.22.7', 2022, ['Okafor CN'], ['ris:embase:L2019000001'])

Each exporter puts identifiers in its own tags, so the reader first tells the exporter
(the *dialect*) from a record's tags, then reads the PMID and accession number from that
exporter's tags (:data:`DIALECTS`):

- Embase (embase.com): ``U2`` holds the Embase accession (``L`` + digits), ``C5`` the
  MEDLINE PMID; title in ``T1``, abstract in ``N2``, authors ``A1``, journal ``JF``.
- Web of Science: ``AN`` holds the accession (``WOS:...``); ``WE`` names the edition.
  Its RIS carries no PMID that we could confirm; ``PM`` (the PMID tag of WoS's own
  tagged format) is read when present.
- Scopus: ``DB  - Scopus``; ``C2`` is the PubMed ID, the EID ``2-s2.0-...`` appears in
  ``UR``/``AN``.
- Anything else: generic RIS; the PMID tags above are tried in turn, digits only.

The tag assignments come from exporters' documentation and samples as far as we could find
them (they change over time); a PMID is only taken when the value is all digits, so a wrong
guess costs a missed PMID (the record then deduplicates by DOI or title), never a wrong one.

Records without a PMID get ``source_ids`` ``ris:<dialect>:<accession>`` (else the DOI, else
the file name and record number) and are keyed ``doi:...`` by :attr:`Record.key`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import rispy

from msc_mine.errors import UsageError
from msc_mine.medline import format_author, split_structured_abstract
from msc_mine.records import Record, normalize_doi

__all__ = ["DIALECTS", "Dialect", "detect_dialect", "iter_ris_file", "parse_ris", "sniff_ris"]

_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")
_PMID = re.compile(r"^(?:PMID:?\s*|MEDLINE:\s*)?(\d{1,9})$", re.IGNORECASE)
_SCOPUS_EID = re.compile(r"2-s2\.0-\d+")

# RIS language names -> the ISO 639-2 codes PubMed uses, so sources agree in the table.
_LANGUAGES = {
    "english": "eng", "chinese": "chi", "german": "ger", "french": "fre", "spanish": "spa",
    "japanese": "jpn", "russian": "rus", "italian": "ita", "portuguese": "por",
    "korean": "kor", "polish": "pol", "turkish": "tur", "dutch": "dut", "persian": "per",
}  # fmt: skip
# Exporters' document types -> PubMed publication types, where one is equivalent.
_PUBLICATION_TYPES = {
    "article": "Journal Article", "journal article": "Journal Article", "review": "Review",
    "editorial": "Editorial", "letter": "Letter", "note": "Comment",
    "erratum": "Published Erratum", "conference abstract": "Congress",
    "conference paper": "Congress", "conference review": "Congress",
    "retracted article": "Retracted Publication", "meta-analysis": "Meta-Analysis",
    "randomized controlled trial": "Randomized Controlled Trial",
}  # fmt: skip


@dataclass(frozen=True)
class Dialect:
    """Where one exporter puts the PMID and its own accession number."""

    name: str
    pmid_tags: tuple[str, ...]
    accession_tags: tuple[str, ...]


#: Tried in this order by :func:`detect_dialect`; ``ris`` is the fallback.
DIALECTS = {
    "embase": Dialect("embase", ("C5", "PM"), ("U2", "AN")),
    "wos": Dialect("wos", ("PM", "C5"), ("AN", "UT")),
    "scopus": Dialect("scopus", ("C2", "PM"), ("AN",)),
    "ris": Dialect("ris", ("PM", "C5", "C2", "AN"), ("AN", "ID")),
}


def _tags(entry: dict[str, Any]) -> dict[str, list[str]]:
    """rispy's entry back as tag -> values (unknown tags included)."""
    out: dict[str, list[str]] = {}
    for tag, name in rispy.TAG_KEY_MAPPING.items():
        if name in entry and tag != "UK":
            value = entry[name]
            out[tag] = [str(v) for v in (value if isinstance(value, list) else [value])]
    for tag, values in dict(entry.get("unknown_tag", {})).items():
        out.setdefault(tag, []).extend(str(v) for v in values)
    return {t: [v.strip() for v in vs if str(v).strip()] for t, vs in out.items()}


def detect_dialect(tags: dict[str, list[str]]) -> Dialect:
    """Which exporter wrote a record, from its tags."""
    db = " ".join(tags.get("DB", []) + tags.get("DP", [])).lower()
    accession = " ".join(tags.get("AN", []))
    urls = " ".join(tags.get("UR", []))
    if "embase" in db or any(re.fullmatch(r"L\d+", v) for v in tags.get("U2", [])):
        return DIALECTS["embase"]
    if accession.startswith("WOS:") or "WE" in tags:
        return DIALECTS["wos"]
    if "scopus" in db or "scopus.com" in urls:
        return DIALECTS["scopus"]
    return DIALECTS["ris"]


def _first(tags: dict[str, list[str]], *names: str) -> str:
    for name in names:
        if tags.get(name):
            return tags[name][0]
    return ""


def _pmid(tags: dict[str, list[str]], dialect: Dialect) -> str:
    for tag in dialect.pmid_tags:
        for value in tags.get(tag, []):
            if m := _PMID.match(value):
                return m.group(1)
    return ""


def _accession(tags: dict[str, list[str]], dialect: Dialect) -> str:
    if dialect.name == "scopus":
        for value in tags.get("AN", []) + tags.get("UR", []):
            if m := _SCOPUS_EID.search(value):
                return m.group(0)
    return _first(tags, *dialect.accession_tags)


def record_from_ris(entry: dict[str, Any], fallback_id: str) -> Record:
    """One rispy entry as a :class:`Record`; ``fallback_id`` names it when it has no ids."""
    tags = _tags(entry)
    dialect = detect_dialect(tags)
    pmid = _pmid(tags, dialect)
    doi = normalize_doi(_first(tags, "DO"))
    accession = _accession(tags, dialect)
    year = _YEAR.search(_first(tags, "PY", "Y1", "DA"))
    authors = tags.get("AU") or tags.get("A1") or []
    language = _first(tags, "LA")
    doc_type = _first(tags, "M3")
    publication_types = [_PUBLICATION_TYPES.get(doc_type.lower(), doc_type)] if doc_type else []
    source_id = accession or (f"doi:{doi}" if doi else "") or (pmid and f"pmid:{pmid}")
    return Record(
        pmid=pmid,
        doi=doi,
        title=_first(tags, "TI", "T1", "ST"),
        abstract=split_structured_abstract(_first(tags, "AB", "N2")),
        journal=_first(tags, "JF", "T2", "JO", "JA", "J2"),
        year=int(year.group(1)) if year else None,
        authors=[format_author(a) for a in authors],
        publication_types=publication_types,
        keywords=[k for kw in tags.get("KW", []) for k in _split_keywords(kw)],
        language=_LANGUAGES.get(language.lower(), language.lower()),
        source_ids=[f"ris:{dialect.name}:{source_id or fallback_id}"],
    )


def _split_keywords(value: str) -> list[str]:
    # Some exporters put all keywords on one KW line separated by ';'.
    return [k.strip() for k in value.split(";") if k.strip()]


def _chunks(lines: Iterable[str], name: str) -> Iterator[tuple[int, str]]:
    """Each ``TY`` ... ``ER`` block with the line it starts on; checks the structure.

    rispy silently drops a record without ``ER`` and a file with a byte-order mark, so
    the blocks are cut here, where a truncated or foreign file can be named by line.
    """
    block: list[str] = []
    start = 0
    lineno = 0
    seen = False
    try:
        for lineno, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n")
            if lineno == 1:
                line = line.lstrip("\ufeff")
            m = _RIS_LINE.match(line.rstrip())
            tag = m.group(1) if m else ""
            if tag == "TY":
                if block:
                    raise UsageError(f"{name}, line {lineno}: new TY before ER of line {start}")
                block, start, seen = [line], lineno, True
            elif tag == "ER":
                if not block:
                    raise UsageError(f"{name}, line {lineno}: ER without TY")
                block.append("ER  - ")
                yield start, "\n".join(block) + "\n"
                block = []
            elif block:
                block.append(line)
            elif line.strip():
                raise UsageError(f"{name}, line {lineno}: not RIS format: {line[:60]!r}")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name}, line {lineno + 1}: not UTF-8 text ({exc.reason})") from None
    if block:
        raise UsageError(f"{name}, line {start}: record has no ER line (file truncated?)")
    if not seen:
        raise UsageError(f"{name}: no RIS records (no 'TY  - ' line)")


def parse_ris(handle: TextIO | Iterable[str], name: str = "<ris>") -> Iterator[Record]:
    """Records of a RIS text stream, one at a time."""
    label = Path(name).name
    for n, (start, chunk) in enumerate(_chunks(handle, name), start=1):
        try:
            entries = rispy.loads(chunk)
        except Exception as exc:  # rispy raises bare exceptions on odd tags
            raise UsageError(f"{name}, line {start}: unreadable RIS record ({exc})") from None
        for entry in entries:
            yield record_from_ris(entry, fallback_id=f"{label}#{n}")


def iter_ris_file(path: str | Path) -> Iterator[Record]:
    """Stream the records of a RIS file (``UsageError`` names the file and line)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline=None) as handle:
            yield from parse_ris(handle, str(path))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None


def sniff_ris(head: str) -> bool:
    """Whether the start of a file looks like RIS: its first tag line is ``TY  - ``."""
    for line in head.lstrip("\ufeff").splitlines():
        if line.strip():
            return line.startswith("TY  -")
    return False
