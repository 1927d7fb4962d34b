"""Pick the reader for an exported file: one registry table, by extension then by content.

Example::

    >>> from pathlib import Path
    >>> from msc_mine.readers import FORMATS, pick_format, read_records
    >>> [f.name for f in FORMATS]
    ['pubmed_xml', 'medline', 'ris']
    >>> pick_format(Path("corpora/import_samples/sample_embase.ris")).name
    'ris'
    >>> sum(1 for _ in read_records("corpora/import_samples/sample.nbib")) > 0
    True

Adding a format means adding a row to :data:`FORMATS` (name, extensions, a sniff function
over the first few kilobytes of text, a reader yielding :class:`~msc_mine.records.Record`),
not editing a chain of ``if``s. A file whose extension names a format is read with it when
the content agrees; otherwise (``.txt`` holding RIS, a ``.xml`` that is MEDLINE) each sniff
function is asked in table order. An unknown or unreadable file raises
:class:`~msc_mine.errors.UsageError` with a one-line message naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from msc_mine.errors import UsageError
from msc_mine.medline import iter_medline_file, sniff_medline
from msc_mine.records import Record
from msc_mine.ris import iter_ris_file, sniff_ris

__all__ = ["FORMATS", "Format", "format_names", "pick_format", "read_records"]

_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Format:
    """One importable file format."""

    name: str
    extensions: tuple[str, ...]
    sniff: Callable[[str], bool]
    read: Callable[[Path], Iterator[Record]]
    description: str


def _read_pubmed_xml(path: Path) -> Iterator[Record]:
    # Imported here: the XML reader (lxml, Biopython) is only loaded when an XML file comes.
    from msc_mine.pubmed_xml import iter_pubmed_xml_file

    return iter_pubmed_xml_file(path)


def _sniff_pubmed_xml(head: str) -> bool:
    return "<PubmedArticleSet" in head or "<PubmedArticle>" in head or "<PubmedArticle " in head


#: The registry: adding a format means adding a row.
FORMATS: tuple[Format, ...] = (
    Format(
        "pubmed_xml",
        (".xml",),
        _sniff_pubmed_xml,
        _read_pubmed_xml,
        "PubMed XML (efetch or PubMed's XML export)",
    ),
    Format(
        "medline",
        (".nbib", ".txt", ".medline"),
        sniff_medline,
        iter_medline_file,
        'MEDLINE text, as PubMed\'s "Save" / "Send to: file -> PubMed format" writes it',
    ),
    Format("ris", (".ris",), sniff_ris, iter_ris_file, "RIS (Embase, Web of Science, Scopus)"),
)


def format_names() -> list[str]:
    return [f.name for f in FORMATS]


def _head(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    # errors="ignore": the cut at _SNIFF_BYTES may split a character; readers decode strictly.
    return data.decode("utf-8-sig", errors="ignore")


def pick_format(path: Path, format: str | None = None) -> Format:
    """The format to read ``path`` with: ``format`` if given, else by extension and content."""
    if format is not None:
        for fmt in FORMATS:
            if fmt.name == format:
                return fmt
        raise UsageError(f"unknown format {format!r}; known: {', '.join(format_names())}")
    head = _head(path)
    if not head.strip():
        raise UsageError(f"{path}: file is empty")
    suffix = path.suffix.lower()
    by_extension = [f for f in FORMATS if suffix in f.extensions]
    for fmt in by_extension:
        if fmt.sniff(head):
            return fmt
    for fmt in FORMATS:
        if fmt.sniff(head):
            return fmt
    known = ", ".join(f"{f.name} ({'/'.join(f.extensions)})" for f in FORMATS)
    raise UsageError(f"{path}: not a format msc-mine reads; known: {known}")


def read_records(path: str | Path, format: str | None = None) -> Iterator[Record]:
    """Stream the records of an exported file with the reader :func:`pick_format` chooses."""
    path = Path(path)
    return pick_format(path, format).read(path)
