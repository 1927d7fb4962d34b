"""Read MEDLINE text ("PubMed format") exports: ``.nbib`` / ``.txt`` as PubMed saves them.

Example::

    >>> import io
    >>> from msc_mine.medline import parse_medline
    >>> text = '''PMID- 90000001
    ... TI  - Intravenous bone marrow MSCs in progressive multiple
    ...       sclerosis: a phase 1 trial.
    ... AB  - BACKGROUND: Few data exist. METHODS: Ten patients received one infusion.
    ... FAU - Lindqvist, Maja K
    ... AU  - Lindqvist MK
    ... DP  - 2021 Mar 4
    ... LR  - 20230115
    ... MH  - *Mesenchymal Stem Cell Transplantation/adverse effects/*methods
    ... AID - 10.1000/MSC.2021.1 [doi]
    ... '''
    >>> rec = next(parse_medline(io.StringIO(text)))
    >>> rec.pmid, rec.year, rec.revised, rec.doi, rec.authors
    ('90000001', 2021, '2023-01-15', '10.1000/msc.2021.1', ['Lindqvist MK'])
    >>> [(s.label, s.text) for s in rec.abstract]
    [('BACKGROUND', 'Few data exist.'), ('METHODS', 'Ten patients received one infusion.')]
    >>> rec.mesh[0].major, rec.mesh[0].qualifiers
    (True, ('adverse effects', 'methods'))

Tags read: PMID, TI, AB, FAU/AU, CN, JT (TA), DP, PT, MH, OT, LA, LR, AID/LID, PMC, RIN.
Parsing is Biopython's ``Bio.Medline.parse`` on lines we first check and clean (byte-order
mark, CRLF, trailing blanks), so a malformed line is reported with its file and line number.

Structured abstracts come as one paragraph in MEDLINE ("BACKGROUND: ... METHODS: ...");
:func:`split_structured_abstract` splits them back into labelled sections. Method: a label is
a run of upper-case words (letters, digits, ``&``, ``/``, ``-``, ``,``) of at least four
letters that ends in ``": "`` and stands at the start of the text or right after a sentence
end; the text up to the next such label is its section. Unlabelled text stays one section.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from Bio import Medline

from msc_mine.errors import UsageError
from msc_mine.records import AbstractSection, MeshHeading, Record, normalize_doi

__all__ = [
    "format_author",
    "iter_medline_file",
    "parse_medline",
    "sniff_medline",
    "split_structured_abstract",
]

# Upper-case label words; the lookbehind keeps "HLA-DR: " inside a sentence from splitting.
_LABEL = re.compile(r"(?:^|(?<=[.!?)\]]\s))([A-Z][A-Z0-9&/,\- ]*[A-Z0-9]):\s+")
# A MEDLINE line: a tag of up to four upper-case letters/digits padded to four, then "- ".
_TAG_LINE = re.compile(r"^[A-Z0-9]{2,4} {0,2}- ?")
_PMID_IN_TEXT = re.compile(r"PMID:\s*(\d+)")
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")


def split_structured_abstract(text: str) -> list[AbstractSection]:
    """Split ``"BACKGROUND: ... METHODS: ..."`` into sections; other text stays one section."""
    text = text.strip()
    if not text:
        return []
    matches = [m for m in _LABEL.finditer(text) if _is_label(m.group(1))]
    if not matches:
        return [AbstractSection("", text)]
    sections: list[AbstractSection] = []
    if matches[0].start() > 0:
        # Text before the first label keeps its place as an unlabelled lead.
        sections.append(AbstractSection("", text[: matches[0].start()].strip()))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sections.append(AbstractSection(m.group(1).strip(), text[m.end() : end].strip()))
    return sections


def _is_label(label: str) -> bool:
    """At least four letters, and no lower-case: ``METHODS``, ``MATERIALS AND METHODS``."""
    return sum(c.isalpha() for c in label) >= 4


def format_author(name: str) -> str:
    """``"Family, Given M"``, ``"Family, G.M."`` or ``"Family G.M."`` -> ``"Family GM"``.

    Other forms (``"Family GM"`` already, a collective name) are returned as given.
    """
    name = " ".join(name.split())
    if "," not in name:
        family, _, last = name.rpartition(" ")
        # Embase writes "Family G.M.": a trailing run of dotted capitals is the initials.
        letters = last.replace(".", "").replace("-", "")
        if family and "." in last and letters.isalpha() and letters.isupper() and len(letters) <= 4:
            return f"{family} {letters}"
        return name
    family, _, given = name.partition(",")
    initials = "".join(part[0] for part in re.split(r"[\s.\-]+", given) if part)
    return f"{family.strip()} {initials.upper()}".strip()


def _first(rec: dict[str, Any], tag: str) -> str:
    value = rec.get(tag, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def _list(rec: dict[str, Any], tag: str) -> list[str]:
    value = rec.get(tag, [])
    values = value if isinstance(value, list) else [value]
    return [v.strip() for v in values if v and v.strip()]


def _mesh(term: str) -> MeshHeading:
    """``*Descriptor/qualifier/*qualifier`` -> MeshHeading.

    ``major`` is the descriptor's own star, as the PubMed XML reader reads MajorTopicYN on
    the descriptor; a starred qualifier's star is dropped (MeshHeading has no flag for it).
    """
    descriptor, *qualifiers = (part.strip() for part in term.split("/"))
    return MeshHeading(
        descriptor=descriptor.lstrip("*").strip(),
        major=descriptor.startswith("*"),
        qualifiers=tuple(q.lstrip("*").strip() for q in qualifiers if q.strip("* ")),
    )


def _doi(rec: dict[str, Any]) -> str:
    for value in [*_list(rec, "AID"), *_list(rec, "LID")]:
        if value.endswith("[doi]"):
            return normalize_doi(value[: -len("[doi]")])
    return ""


def _revised(value: str) -> str:
    digits = value.strip()[:8]
    if len(digits) == 8 and digits.isdigit():
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return ""


def record_from_medline(rec: dict[str, Any]) -> Record:
    """One ``Bio.Medline`` record (tag -> value) as a :class:`Record`."""
    pmid = _first(rec, "PMID")
    authors = _list(rec, "AU") or [format_author(n) for n in _list(rec, "FAU")]
    authors += _list(rec, "CN")  # collective authors, which PubMed XML lists with the rest
    year_match = _YEAR.search(_first(rec, "DP"))
    pmc = _first(rec, "PMC")
    retraction_in: list[str] = []
    for line in _list(rec, "RIN"):
        retraction_in += _PMID_IN_TEXT.findall(line)
    languages = _list(rec, "LA")
    return Record(
        pmid=pmid,
        doi=_doi(rec),
        pmcid=pmc,
        title=_first(rec, "TI"),
        abstract=split_structured_abstract(_first(rec, "AB")),
        journal=_first(rec, "JT") or _first(rec, "TA"),
        year=int(year_match.group(1)) if year_match else None,
        authors=authors,
        publication_types=_list(rec, "PT"),
        mesh=[_mesh(t) for t in _list(rec, "MH")],
        keywords=_list(rec, "OT"),
        language=languages[0] if languages else "",
        revised=_revised(_first(rec, "LR")),
        retraction_in=retraction_in,
        source_ids=[f"pubmed:{pmid}"] if pmid else [],
    )


def _checked_lines(lines: Iterable[str], name: str) -> Iterator[str]:
    """Logical MEDLINE lines for ``Bio.Medline``, checked; stops at the first foreign line.

    Each tag line comes out with its continuation lines already joined by a space:
    Biopython joins them only for text tags, MH and AD, and splits a wrapped keyword,
    author or publication type (PubMed wraps every long line) into two list items.
    Biopython takes any line as a tag line; we check, so that a RIS or CSV file given as
    ``.txt`` fails with its line number instead of yielding garbage records.
    """
    lineno = 0
    pending = ""
    try:
        for lineno, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n").rstrip()
            if lineno == 1:
                line = line.lstrip("\ufeff")
            if line.startswith(" ") and pending:
                # Continuation lines are indented six spaces; accept a shorter indent too.
                pending += " " + line.strip()
                continue
            if pending:
                yield pending + "\n"
                pending = ""
            if not line:
                yield "\n"
            elif _TAG_LINE.match(line):
                tag, _, value = line.partition("-")
                pending = f"{tag.strip():<4}- {value.strip()}"
            else:
                raise UsageError(f"{name}, line {lineno}: not MEDLINE format: {line[:60]!r}")
        if pending:
            yield pending + "\n"
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name}, line {lineno + 1}: not UTF-8 text ({exc.reason})") from None


def parse_medline(handle: TextIO | Iterable[str], name: str = "<medline>") -> Iterator[Record]:
    """Records of a MEDLINE text stream, one at a time."""
    for rec in Medline.parse(_checked_lines(handle, name)):  # type: ignore[no-untyped-call]
        if any(v for v in rec.values()):
            yield record_from_medline(rec)


def iter_medline_file(path: str | Path) -> Iterator[Record]:
    """Stream the records of a MEDLINE file (``UsageError`` names the file and line)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline=None) as handle:
            yield from parse_medline(handle, str(path))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None


def sniff_medline(head: str) -> bool:
    """Whether the start of a file looks like MEDLINE: a ``PMID- `` line among the first."""
    lines = [ln for ln in head.lstrip("\ufeff").splitlines() if ln.strip()][:5]
    return any(re.match(r"^PMID- ?\d", ln) for ln in lines)
