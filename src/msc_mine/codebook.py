"""The extraction codebook (``shared/spec/codebook.md``) as code: columns, vocabularies,
and the ``Extraction`` and ``Decision`` records that fill them.

Example::

    >>> from msc_mine.codebook import Extraction, Value, TABLE_COLUMNS
    >>> ex = Extraction(pmid="1", route=Value(["intravenous"], "MSCs were infused i.v."))
    >>> ex.route.value
    ['intravenous']
    >>> "route_evidence" in TABLE_COLUMNS
    True

Every extracted value is a :class:`Value`: the value and the sentence(s) it was read
from. ``not_stated`` values carry no evidence; anything else without evidence is a bug.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")

NOT_STATED = "not_stated"

STUDY_DESIGNS = (
    "rct",
    "non_randomized_trial",
    "cohort",
    "case_series",
    "case_report",
    "review",
    "animal",
    "in_vitro",
    "protocol",
    "other",
)
PHASES = ("1", "1/2", "2", "2/3", "3", "4")
ROUTES = (
    "intravenous",
    "intra_arterial",
    "intrathecal",
    "intramuscular",
    "intra_articular",
    "intracardiac",
    "intracerebral",
    "local_injection",
    "topical",
    "subcutaneous",
    "intraperitoneal",
    "other",
    NOT_STATED,
)
CELL_SOURCES = (
    "bone_marrow",
    "adipose",
    "umbilical_cord",
    "placenta",
    "amniotic",
    "dental_pulp",
    "menstrual_blood",
    "ipsc",
    "other",
    NOT_STATED,
)
ALLO_AUTO = ("allogeneic", "autologous", "both", NOT_STATED)
DOSE_UNITS = ("cells/kg", "cells", NOT_STATED)
SAE_STATUS = ("none_reported", "some_reported", NOT_STATED)
INCLUDE = ("yes", "no", "maybe")
# Order matters: the first reason that applies is the one recorded.
EXCLUDE_REASONS = (
    "retracted",
    "review",
    "animal",
    "in_vitro",
    "protocol",
    "cell_derived_product",
    "hsc",
    "genetically_modified",
    "combined_intervention",
    "non_iv_route",
    "no_safety_reporting",
    "other",
)
RELATEDNESS = ("related", "unrelated", "possibly_related", NOT_STATED)
AE_CATEGORIES_CORE = (
    "sae",
    "death",
    "thromboembolism",
    "infection",
    "malignancy",
    "fever",
    "infusion_reaction",
)

IDENTITY_COLUMNS = ("pmid", "doi", "title", "first_author", "journal", "year", "publication_types")
# Fields that carry an ``F_evidence`` column, in table order.
EVIDENCE_FIELDS = (
    "conditions",
    "study_design",
    "phase",
    "route",
    "cell_source",
    "allo_auto",
    "dose_low",
    "dose_high",
    "dose_unit",
    "n_infusions",
    "n_patients",
    "sae_status",
    "sae_count",
    "sae_types",
    "nonserious_aes",
    "include",
)
VALUE_COLUMNS = (*EVIDENCE_FIELDS[:-1], "include", "exclude_reason")
TABLE_COLUMNS = IDENTITY_COLUMNS + VALUE_COLUMNS + tuple(f"{f}_evidence" for f in EVIDENCE_FIELDS)
LIST_COLUMNS = (
    "publication_types",
    "conditions",
    "route",
    "cell_source",
    "sae_types",
    "nonserious_aes",
)
AE_LONG_COLUMNS = (
    "pmid",
    "first_author",
    "year",
    "condition",
    "route",
    "cell_source",
    "allo_auto",
    "category",
    "events",
    "n",
    "relatedness",
    "evidence",
)


@dataclass
class Value(Generic[T]):
    """An extracted value and the sentence(s) it was read from (joined by `` | ``)."""

    value: T
    evidence: str = ""


def _ns() -> Value[str]:
    return Value(NOT_STATED)


def _ns_list() -> Value[list[str]]:
    return Value([NOT_STATED])


def _empty_list() -> Value[list[str]]:
    return Value([])


def _none() -> Value[Any]:
    return Value(None)


@dataclass
class AEFinding:
    """One adverse-event category as a study reports it (feeds ``ae_long``).

    ``events`` is patients with the event among those given MSCs; 0 when the text says it
    did not occur; ``None`` when a count is not given.
    """

    category: str
    events: int | None
    relatedness: str = NOT_STATED
    serious: bool = False
    evidence: str = ""


@dataclass
class Extraction:
    """Everything extraction reads from one record, each value with its evidence.

    ``cues`` holds screening cue families (``hsc``, ``genetically_modified``,
    ``cell_derived_product``, ``combined_intervention``, ``msc``, ...) mapped to the terms
    matched and the sentences they were matched in; the screening rules read them.
    """

    pmid: str
    conditions: Value[list[str]] = field(default_factory=_empty_list)
    study_design: Value[str] = field(default_factory=lambda: Value("other"))
    phase: Value[str] = field(default_factory=lambda: Value(""))
    route: Value[list[str]] = field(default_factory=_ns_list)
    cell_source: Value[list[str]] = field(default_factory=_ns_list)
    allo_auto: Value[str] = field(default_factory=_ns)
    dose_low: Value[float | None] = field(default_factory=_none)
    dose_high: Value[float | None] = field(default_factory=_none)
    dose_unit: Value[str] = field(default_factory=_ns)
    n_infusions: Value[int | None] = field(default_factory=_none)
    n_patients: Value[int | None] = field(default_factory=_none)
    sae_status: Value[str] = field(default_factory=_ns)
    sae_count: Value[int | None] = field(default_factory=_none)
    sae_types: Value[list[str]] = field(default_factory=_empty_list)
    nonserious_aes: Value[list[str]] = field(default_factory=_empty_list)
    ae_findings: list[AEFinding] = field(default_factory=list)
    cues: dict[str, Value[list[str]]] = field(default_factory=dict)
    extractor_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Extraction:
        kw: dict[str, Any] = {
            "pmid": d["pmid"],
            "extractor_version": d.get("extractor_version", ""),
        }
        for name in EVIDENCE_FIELDS[:-1]:
            if name in d:
                kw[name] = Value(d[name]["value"], d[name].get("evidence", ""))
        kw["ae_findings"] = [AEFinding(**a) for a in d.get("ae_findings", [])]
        kw["cues"] = {
            k: Value(v["value"], v.get("evidence", "")) for k, v in d.get("cues", {}).items()
        }
        return cls(**kw)


@dataclass
class Decision:
    """A screening decision with the rule that made it and why."""

    pmid: str
    include: str  # one of INCLUDE
    exclude_reason: str = ""  # one of EXCLUDE_REASONS, "" when included
    stage: str = ""  # e.g. "preliminary", "eligibility"
    rule_id: str = ""
    reason: str = ""  # human-readable: what fired, on which value
    evidence: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
