"""Extraction: read the codebook fields, each with its evidence, from a record.

Example::

    >>> from msc_mine.records import Record, AbstractSection
    >>> from msc_mine.extract import extract, extract_many, EXTRACTOR_VERSION
    >>> rec = Record(pmid="90000001", title="Intravenous BM-MSCs in multiple sclerosis",
    ...              abstract=[AbstractSection("RESULTS", "No SAEs occurred.", "RESULTS")])
    >>> ex = extract(rec)
    >>> ex.route.value, ex.cell_source.value, ex.sae_status.value
    (['intravenous'], ['bone_marrow'], 'none_reported')
    >>> ex.route.evidence
    'Intravenous BM-MSCs in multiple sclerosis'
    >>> [e.pmid for e in extract_many([rec, rec], n_process=1)]
    ['90000001', '90000001']
    >>> ex.extractor_version == EXTRACTOR_VERSION
    True

One module per field family: :mod:`.route`, :mod:`.source`, :mod:`.allo_auto`,
:mod:`.conditions`, :mod:`.safety`, :mod:`.dosing` (on the number helpers :mod:`.dose`
and :mod:`.counts`), :mod:`.design` (study design and phase) and :mod:`.cues` (screening
cue words). All read one :class:`~msc_mine.extract.parsed.ParsedRecord` made by the
pipeline of :mod:`msc_mine.nlp`.

``EXTRACTOR_VERSION`` is the code version plus a hash of the lexicon files: a stored
extraction made under another version is stale, so editing a lexicon re-extracts.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from importlib import resources
from itertools import islice

from msc_mine.codebook import Extraction, Value
from msc_mine.extract.allo_auto import extract_allo_auto
from msc_mine.extract.conditions import extract_conditions
from msc_mine.extract.cues import extract_cues
from msc_mine.extract.design import classify_design, classify_phase
from msc_mine.extract.dosing import extract_dosing
from msc_mine.extract.parsed import ParsedRecord, parse_doc, record_text
from msc_mine.extract.route import extract_route
from msc_mine.extract.safety import extract_safety
from msc_mine.extract.source import extract_source
from msc_mine.nlp import get_pipeline, lexicon_hash
from msc_mine.records import Record

__all__ = [
    "CODE_VERSION",
    "EXTRACTOR_VERSION",
    "extract",
    "extract_many",
    "extract_parsed",
]

# Bump when a rule changes what is extracted (the lexicons are hashed automatically).
CODE_VERSION = "0.1.0"


def _code_hash() -> str:
    """Hash of this package's rule modules, so an edited rule also invalidates the store."""
    h = hashlib.sha256()
    pkg = resources.files("msc_mine.extract")
    for name in sorted(p.name for p in pkg.iterdir() if p.name.endswith(".py")):
        h.update(pkg.joinpath(name).read_bytes())
    h.update(resources.files("msc_mine").joinpath("nlp.py").read_bytes())
    return h.hexdigest()


EXTRACTOR_VERSION = f"{CODE_VERSION}+lex.{lexicon_hash()[:10]}.code.{_code_hash()[:10]}"

_NO_PATIENTS = frozenset({"animal", "in_vitro", "review", "protocol"})
_BATCH = 64  # records per nlp.pipe batch and per worker task


def _design(parsed: ParsedRecord, ex: Extraction) -> None:
    """Study design and phase from :mod:`.design` (publication types, MeSH, text cues)."""
    rec = parsed.record
    abstract = rec.abstract_text
    value, evidence = classify_design(
        rec.publication_types, [m.descriptor for m in rec.mesh], rec.title, abstract
    )
    ex.study_design = Value(value, evidence)
    phase, phase_ev = classify_phase(rec.publication_types, rec.title + "\n" + abstract)
    ex.phase = Value(phase, phase_ev)
    if value in _NO_PATIENTS and ex.n_patients.value is not None:
        # Animals, dishes and pooled reviews have no "patients given MSCs" of their own.
        ex.n_patients = Value(None)


def extract_parsed(parsed: ParsedRecord) -> Extraction:
    """Every field from an already parsed record."""
    rec = parsed.record
    ex = Extraction(pmid=rec.key, extractor_version=EXTRACTOR_VERSION)
    ex.conditions = extract_conditions(parsed)
    ex.route = extract_route(parsed)
    ex.cell_source = extract_source(parsed)
    ex.allo_auto = extract_allo_auto(parsed)
    dosing = extract_dosing(parsed)
    ex.dose_low, ex.dose_high, ex.dose_unit = dosing.dose_low, dosing.dose_high, dosing.dose_unit
    ex.n_infusions, ex.n_patients = dosing.n_infusions, dosing.n_patients
    safety = extract_safety(parsed, ex.conditions.value)
    ex.sae_status, ex.sae_count = safety.sae_status, safety.sae_count
    ex.sae_types, ex.nonserious_aes = safety.sae_types, safety.nonserious_aes
    ex.ae_findings = safety.findings
    ex.cues = extract_cues(parsed)
    _design(parsed, ex)
    return ex


def extract(record: Record, use_model: str | None = None) -> Extraction:
    """Extract one record (the process's pipeline is built on first use)."""
    nlp = get_pipeline(use_model)
    text, starts = record_text(record)
    return extract_parsed(parse_doc(record, nlp(text), starts, text))


def _extract_batch(records: list[Record], use_model: str | None = None) -> list[Extraction]:
    nlp = get_pipeline(use_model)
    texts = [record_text(r) for r in records]
    docs = nlp.pipe((t for t, _ in texts), batch_size=_BATCH)
    return [
        extract_parsed(parse_doc(rec, doc, starts, text))
        for rec, doc, (text, starts) in zip(records, docs, texts, strict=True)
    ]


def _init_worker(use_model: str | None) -> None:
    import warnings

    warnings.filterwarnings("ignore", message="Possible set union", category=FutureWarning)
    warnings.filterwarnings("ignore", message=r".*\[W036\].*")
    get_pipeline(use_model)  # build once per worker, before the first task


def extract_many(
    records: Iterable[Record], n_process: int = 1, use_model: str | None = None
) -> Iterator[Extraction]:
    """Extract a stream of records, in order, holding only a few batches in memory.

    ``n_process=1`` streams through ``nlp.pipe``. With more, a ``ProcessPoolExecutor``
    whose workers build the pipeline once and send back only Extractions: toolchain.md
    measured ``nlp.pipe(n_process=2)`` slower than one process (shipping Docs costs more
    than the work), the executor ~1.75x faster.
    """
    it = iter(records)
    if n_process <= 1:
        while batch := list(islice(it, _BATCH)):
            yield from _extract_batch(batch, use_model)
        return
    with ProcessPoolExecutor(
        max_workers=n_process, initializer=_init_worker, initargs=(use_model,)
    ) as pool:
        pending: deque[Future[list[Extraction]]] = deque()
        while True:
            while len(pending) < 2 * n_process and (batch := list(islice(it, _BATCH))):
                pending.append(pool.submit(_extract_batch, batch, use_model))
            if not pending:
                break
            yield from pending.popleft().result()
