"""The disease(s) treated, as names of ``lexicons/diseases.toml``.

Example::

    >>> from msc_mine.records import Record, MeshHeading
    >>> from msc_mine.extract.parsed import parse_record
    >>> from msc_mine.extract.conditions import extract_conditions
    >>> rec = Record(pmid="1", title="MSCs for knee osteoarthritis in patients with obesity",
    ...              mesh=[MeshHeading("Osteoarthritis, Knee", True)])
    >>> extract_conditions(parse_record(rec)).value
    ['osteoarthritis']

Method: MeSH first, as the codebook asks: a record's MeSH descriptors are looked up in the
lexicon's ``mesh`` lists (indexers tag the disease studied, rarely a passing comorbidity).
Without a MeSH match, lexicon synonyms found in the title win; failing that, the disease(s)
named most often in the abstract, so a comorbidity mentioned once in passing is left out.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

from msc_mine.codebook import Value
from msc_mine.extract.parsed import ParsedRecord, Sentence, evidence_of
from msc_mine.nlp import load_lexicon

__all__ = ["extract_conditions", "mesh_to_disease"]


@cache
def mesh_to_disease() -> dict[str, str]:
    """Lower-case MeSH descriptor -> lexicon disease name."""
    out: dict[str, str] = {}
    for block in load_lexicon("diseases.toml")["disease"]:
        for heading in block.get("mesh", []):
            out[heading.lower()] = block["name"]
    return out


def extract_conditions(parsed: ParsedRecord) -> Value[list[str]]:
    """Disease names, sorted, with the MeSH heading(s) or sentence(s) as evidence."""
    table = mesh_to_disease()
    mesh_hits: dict[str, list[str]] = {}
    for heading in parsed.record.mesh:
        name = table.get(heading.descriptor.lower())
        if name:
            mesh_hits.setdefault(name, []).append(heading.descriptor)
    text_hits: dict[str, list[Sentence]] = {}
    for term, sent in parsed.of("disease"):
        text_hits.setdefault(term.value, []).append(sent)
    if mesh_hits:
        names = sorted(mesh_hits)
        ev = ["MeSH: " + "; ".join(h for n in names for h in mesh_hits[n])]
        ev += [s.text for n in names for s in text_hits.get(n, [])[:1]]
        return Value(names, evidence_of(ev))
    if not text_hits:
        return Value([])
    in_title = sorted(n for n, ss in text_hits.items() if any(s.section == "TITLE" for s in ss))
    if in_title:
        names = in_title
    else:
        counts = Counter({n: len(ss) for n, ss in text_hits.items()})
        top = max(counts.values())
        names = sorted(n for n, c in counts.items() if c == top)
    return Value(names, evidence_of([text_hits[n][0] for n in names]))
