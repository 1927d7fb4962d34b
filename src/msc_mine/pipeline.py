"""Review pipelines: a review's searches and screening rules, read from a TOML file.

Example::

    >>> from msc_mine.pipeline import load_pipeline
    >>> p = load_pipeline("pipelines/msc_iv_safety.toml")
    >>> p.id, p.stages
    ('msc_iv_safety', ('preliminary', 'eligibility'))
    >>> [q.id for q in p.search.queries][:2]
    ['multiple_sclerosis', 'rheumatoid_arthritis']
    >>> p.rules[0].exclude_reason
    'retracted'

A pipeline file has three parts: ``[review]`` (id, title, citation, optional ``stages``),
``[search]`` (the PubMed queries, read by :mod:`msc_mine.queries`) and ``[[rule]]`` tables,
the screening rules. Rules are data, never code: a review author writes a new review's rules
without touching Python, and every decision can be traced back to the rule that made it.

Rules
-----
Each ``[[rule]]`` has::

    id = "non_iv_route"               # unique; shown in the table's include_evidence
    stage = "eligibility"             # one of [review].stages
    exclude_reason = "non_iv_route"   # a codebook exclude_reason (also fixes the rule's order)
    decision = "exclude"              # or "maybe": a human checks the record
    reason = "MSCs not given intravenously"   # human-readable, copied into the decision
    when = { field = "route", not_contains = "intravenous" }

Conditions (the ``when`` table)
-------------------------------
A condition is a TOML table of exactly one of these forms:

* ``{ all = [C, ...] }``: every condition holds; ``{ any = [C, ...] }``: at least one holds;
  ``{ not = C }``: C does not hold.
* ``{ field = "NAME", OP = VALUE }``: a test on one field, with exactly one operator.

Fields. From the record: ``publication_types``, ``mesh`` (descriptor names), ``mesh_major``
(major-topic descriptors), ``keywords`` (lists); ``title``, ``abstract``, ``text`` (title and
abstract), ``language``, ``journal`` (strings); ``year`` (number); ``is_retracted`` (true or
false). From the extraction: ``conditions``, ``route``, ``cell_source``, ``sae_types``,
``nonserious_aes`` (lists); ``study_design``, ``phase``, ``allo_auto``, ``dose_unit``,
``sae_status`` (strings); ``dose_low``, ``dose_high``, ``n_infusions``, ``n_patients``,
``sae_count`` (numbers, absent when not stated); ``cues.FAMILY`` (the cue terms matched for a
lexicon cue family such as ``cues.msc`` or ``cues.hsc``; a list).

Operators (strings compare case-insensitively):

==================  =========================================================================
``equals``          string/number/boolean equality; a list equals X when it is exactly [X]
``not_equals``      the negation of ``equals``
``in``              the (string or number) value is one of the given list
``contains``        a list holds the item; a string holds the substring
``contains_any``    a list holds at least one of the items (a string: any substring)
``contains_all``    a list holds all of the items (a string: all substrings)
``not_contains``    a list holds none of the given item(s) (a string: no substring)
``only``            every item of the list is among the given ones (and the list is not empty)
``present``         ``true``: the value is stated (not empty, not ``not_stated``, not absent);
                    ``false``: it is not
``matches``         a regular expression found in the string (or any list item), ignoring case
``gt`` ``ge``       number comparisons; an absent number never compares true
``lt`` ``le``
==================  =========================================================================

Anything else (an unknown key, field, operator or exclude_reason, a wrong value type, a
stage not listed, a duplicate id) is a :class:`~msc_mine.errors.UsageError` that names the
file, the rule and the problem. See ``pipelines/README.md`` for a review author's guide.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from msc_mine.codebook import EXCLUDE_REASONS
from msc_mine.errors import UsageError

DEFAULT_STAGES = ("preliminary", "eligibility")
DECISIONS = ("exclude", "maybe")

# Field name -> kind. The kind decides which operators make sense and how "present" reads.
RECORD_FIELDS: dict[str, str] = {
    "publication_types": "list",
    "mesh": "list",
    "mesh_major": "list",
    "keywords": "list",
    "title": "str",
    "abstract": "str",
    "text": "str",
    "language": "str",
    "journal": "str",
    "year": "num",
    "is_retracted": "bool",
}
EXTRACTION_FIELDS: dict[str, str] = {
    "conditions": "list",
    "route": "list",
    "cell_source": "list",
    "sae_types": "list",
    "nonserious_aes": "list",
    "study_design": "str",
    "phase": "str",
    "allo_auto": "str",
    "dose_unit": "str",
    "sae_status": "str",
    "dose_low": "num",
    "dose_high": "num",
    "n_infusions": "num",
    "n_patients": "num",
    "sae_count": "num",
}
CUE_PREFIX = "cues."
_CUE_FAMILY = re.compile(r"^[a-z][a-z0-9_]*$")

# Operator -> the type of value it takes ("strs": a string or a list of strings).
OPERATORS: dict[str, str] = {
    "equals": "scalar",
    "not_equals": "scalar",
    "in": "scalars",
    "contains": "scalar",
    "contains_any": "strs",
    "contains_all": "strs",
    "not_contains": "strs",
    "only": "strs",
    "present": "bool",
    "matches": "regex",
    "gt": "num",
    "ge": "num",
    "lt": "num",
    "le": "num",
}
COMBINATORS = ("all", "any", "not")
RULE_KEYS = {"id", "stage", "exclude_reason", "decision", "reason", "when"}
REVIEW_KEYS = {"id", "title", "citation", "stages", "description"}
SEARCH_KEYS = {"db", "msc_query", "datetype", "mindate", "maxdate", "queries"}
QUERY_KEYS = {"id", "disease", "query", "label"}
_DATE = re.compile(r"^\d{4}(/\d{2}(/\d{2})?)?$")
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Leaf:
    """A test on one field: ``field`` ``op`` ``value``."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Combinator:
    """``all``/``any`` over several conditions, or ``not`` over one."""

    kind: str
    children: tuple[Condition, ...]


Condition = Leaf | Combinator


@dataclass(frozen=True)
class Rule:
    """One screening rule; ``order`` is its place in the evaluation sequence."""

    id: str
    stage: str
    exclude_reason: str
    decision: str
    reason: str
    when: Condition
    order: int = 0


@dataclass(frozen=True)
class SearchQuery:
    """One PubMed search of the review: a lexicon disease or a literal query."""

    id: str
    disease: str = ""
    query: str = ""
    label: str = ""


@dataclass(frozen=True)
class SearchSpec:
    """The ``[search]`` table; ``table`` is the raw TOML that ``queries.build_query`` reads."""

    db: str
    msc_query: str
    datetype: str
    mindate: str
    maxdate: str
    queries: tuple[SearchQuery, ...]
    table: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Pipeline:
    """A loaded and validated review pipeline."""

    id: str
    title: str
    citation: str
    path: Path
    sha256: str
    stages: tuple[str, ...]
    search: SearchSpec
    rules: tuple[Rule, ...]

    def rules_for(self, stage: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.stage == stage)


def load_pipeline(path: str | Path) -> Pipeline:
    """Read, validate and order a pipeline file; raise ``UsageError`` naming any problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise UsageError(f"{p}: cannot read pipeline file ({exc.strerror})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{p}: not valid TOML: {exc}") from exc
    return parse_pipeline(data, p, hashlib.sha256(raw).hexdigest())


def parse_pipeline(data: dict[str, Any], path: Path, sha256: str = "") -> Pipeline:
    """Validate an already-parsed pipeline table (``load_pipeline`` without the file)."""
    where = str(path)
    unknown = set(data) - {"review", "search", "rule"}
    if unknown:
        raise UsageError(f"{where}: unknown top-level table(s): {', '.join(sorted(unknown))}")
    review = _table(data.get("review"), f"{where}: [review]")
    _no_unknown(review, REVIEW_KEYS, f"{where}: [review]")
    review_id = _str(review.get("id"), f"{where}: [review] id")
    if not _ID.match(review_id):
        raise UsageError(f"{where}: [review] id {review_id!r} may hold only letters, digits, _.-")
    stages = tuple(review.get("stages", DEFAULT_STAGES))
    if not stages or not all(isinstance(s, str) and s for s in stages):
        raise UsageError(f"{where}: [review] stages must be a list of stage names")
    search = _parse_search(data.get("search", {}), where)
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise UsageError(f"{where}: rules must be written as [[rule]] tables")
    rules = [_parse_rule(r, i, stages, where) for i, r in enumerate(raw_rules)]
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise UsageError(f"{where}: rule {r.id!r}: duplicate rule id")
        seen.add(r.id)
    return Pipeline(
        id=review_id,
        title=str(review.get("title", "")),
        citation=str(review.get("citation", "")),
        path=path,
        sha256=sha256,
        stages=stages,
        search=search,
        rules=tuple(_ordered(rules, stages)),
    )


def _ordered(rules: list[Rule], stages: tuple[str, ...]) -> list[Rule]:
    # Stages run in sequence (a record excluded at the preliminary stage never reaches
    # eligibility, so the funnel stays honest); within a stage the codebook's reason order
    # decides, and file order breaks ties so an author controls exclude-vs-maybe precedence.
    key = {
        r.id: (stages.index(r.stage), EXCLUDE_REASONS.index(r.exclude_reason), i)
        for i, r in enumerate(rules)
    }
    ordered = sorted(rules, key=lambda r: key[r.id])
    return [
        Rule(r.id, r.stage, r.exclude_reason, r.decision, r.reason, r.when, order=i)
        for i, r in enumerate(ordered)
    ]


def _parse_search(obj: Any, where: str) -> SearchSpec:
    search = _table(obj, f"{where}: [search]")
    _no_unknown(search, SEARCH_KEYS, f"{where}: [search]")
    for key in ("mindate", "maxdate"):
        value = search.get(key, "")
        if value and not (isinstance(value, str) and _DATE.match(value)):
            raise UsageError(f"{where}: [search] {key} must look like YYYY/MM/DD, got {value!r}")
    raw_queries = search.get("queries", [])
    if not isinstance(raw_queries, list):
        raise UsageError(f"{where}: [search] queries must be [[search.queries]] tables")
    diseases = disease_names()
    queries: list[SearchQuery] = []
    for i, q in enumerate(raw_queries):
        label = f"{where}: [[search.queries]] #{i + 1}"
        q = _table(q, label)
        _no_unknown(q, QUERY_KEYS, label)
        qid = _str(q.get("id"), f"{label} id")
        disease, literal = q.get("disease", ""), q.get("query", "")
        if bool(disease) == bool(literal):
            raise UsageError(f"{label} ({qid}): give exactly one of 'disease' or 'query'")
        if disease and disease not in diseases:
            raise UsageError(
                f"{label} ({qid}): disease {disease!r} is not in lexicons/diseases.toml"
            )
        if any(x.id == qid for x in queries):
            raise UsageError(f"{label}: duplicate search id {qid!r}")
        queries.append(SearchQuery(qid, str(disease), str(literal), str(q.get("label", ""))))
    return SearchSpec(
        db=str(search.get("db", "pubmed")),
        msc_query=str(search.get("msc_query", "")),
        datetype=str(search.get("datetype", "pdat")),
        mindate=str(search.get("mindate", "")),
        maxdate=str(search.get("maxdate", "")),
        queries=tuple(queries),
        table=dict(search),
    )


def _parse_rule(obj: Any, index: int, stages: tuple[str, ...], where: str) -> Rule:
    rule = _table(obj, f"{where}: [[rule]] #{index + 1}")
    rid = rule.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise UsageError(f"{where}: [[rule]] #{index + 1}: 'id' must be a name like 'hsc_only'")
    label = f"{where}: rule {rid!r}"
    _no_unknown(rule, RULE_KEYS, label)
    stage = rule.get("stage")
    if stage not in stages:
        raise UsageError(f"{label}: stage {stage!r} is not one of {', '.join(stages)}")
    reason_code = rule.get("exclude_reason")
    if reason_code not in EXCLUDE_REASONS:
        raise UsageError(
            f"{label}: unknown exclude_reason {reason_code!r} "
            f"(codebook: {', '.join(EXCLUDE_REASONS)})"
        )
    decision = rule.get("decision", "exclude")
    if decision not in DECISIONS:
        raise UsageError(f"{label}: decision must be 'exclude' or 'maybe', got {decision!r}")
    reason = _str(rule.get("reason"), f"{label}: reason")
    if "when" not in rule:
        raise UsageError(f"{label}: missing 'when' condition")
    when = parse_condition(rule["when"], f"{label}: when")
    return Rule(str(rid), str(stage), str(reason_code), str(decision), reason, when)


def parse_condition(obj: Any, where: str) -> Condition:
    """Turn a ``when`` table into a condition tree, checking every field and operator."""
    if not isinstance(obj, dict):
        raise UsageError(f"{where}: a condition must be a table, got {type(obj).__name__}")
    combos = [k for k in COMBINATORS if k in obj]
    if combos:
        if len(obj) != 1:
            raise UsageError(
                f"{where}: '{combos[0]}' must stand alone in its table, "
                f"found also: {', '.join(sorted(set(obj) - {combos[0]}))}"
            )
        kind = combos[0]
        if kind == "not":
            return Combinator("not", (parse_condition(obj["not"], f"{where}.not"),))
        items = obj[kind]
        if not isinstance(items, list) or not items:
            raise UsageError(f"{where}: '{kind}' needs a non-empty list of conditions")
        return Combinator(
            kind, tuple(parse_condition(c, f"{where}.{kind}[{i}]") for i, c in enumerate(items))
        )
    if "field" not in obj:
        raise UsageError(
            f"{where}: expected 'field' with an operator, or one of all/any/not; "
            f"got keys {', '.join(sorted(obj)) or '(none)'}"
        )
    name = obj["field"]
    if not isinstance(name, str) or field_kind(name) is None:
        raise UsageError(
            f"{where}: unknown field {name!r} (known: {', '.join(known_fields())}, cues.FAMILY)"
        )
    ops = [k for k in obj if k != "field"]
    bad = [k for k in ops if k not in OPERATORS]
    if bad:
        raise UsageError(
            f"{where}: unknown operator {bad[0]!r} on field {name!r} "
            f"(known: {', '.join(OPERATORS)})"
        )
    if len(ops) != 1:
        raise UsageError(f"{where}: field {name!r} needs exactly one operator, got {len(ops)}")
    op = ops[0]
    return Leaf(name, op, _check_value(op, obj[op], f"{where}: {name} {op}"))


def _check_value(op: str, value: Any, where: str) -> Any:
    kind = OPERATORS[op]

    def scalar(v: Any) -> bool:
        return isinstance(v, str | int | float | bool)

    if kind == "scalar" and scalar(value):
        return value
    if kind == "scalars" and isinstance(value, list) and value and all(map(scalar, value)):
        return tuple(value)
    if kind == "strs":
        if isinstance(value, str) and value:
            return (value,)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "num" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "regex" and isinstance(value, str):
        try:
            return re.compile(value, re.IGNORECASE)
        except re.error as exc:
            raise UsageError(f"{where}: bad regular expression: {exc}") from exc
    expected = {
        "scalar": "a string, number or boolean",
        "scalars": "a non-empty list of strings or numbers",
        "strs": "a string or a non-empty list of strings",
        "bool": "true or false",
        "num": "a number",
        "regex": "a regular expression string",
    }[kind]
    raise UsageError(f"{where}: expected {expected}, got {value!r}")


def field_kind(name: str) -> str | None:
    """The kind of a condition field (``list``, ``str``, ``num``, ``bool``), None if unknown."""
    if name.startswith(CUE_PREFIX):
        return "list" if _CUE_FAMILY.match(name[len(CUE_PREFIX) :]) else None
    return RECORD_FIELDS.get(name) or EXTRACTION_FIELDS.get(name)


def known_fields() -> list[str]:
    return [*RECORD_FIELDS, *EXTRACTION_FIELDS]


def disease_names() -> set[str]:
    """Names in the disease lexicon (``lexicons/diseases.toml``): the valid ``disease`` values."""
    text = resources.files("msc_mine").joinpath("lexicons/diseases.toml").read_text("utf-8")
    return {d["name"] for d in tomllib.loads(text).get("disease", [])}


def _table(obj: Any, where: str) -> dict[str, Any]:
    if obj is None:
        raise UsageError(f"{where}: missing")
    if not isinstance(obj, dict):
        raise UsageError(f"{where}: must be a table")
    return obj


def _str(obj: Any, where: str) -> str:
    if not isinstance(obj, str) or not obj.strip():
        raise UsageError(f"{where}: missing or empty")
    return obj


def _no_unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise UsageError(
            f"{where}: unknown field(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})"
        )
