"""Serious and non-serious adverse events, negation- and relatedness-aware.

Example::

    >>> from msc_mine.records import Record, AbstractSection
    >>> from msc_mine.extract.parsed import parse_record
    >>> from msc_mine.extract.safety import extract_safety
    >>> rec = Record(pmid="1", title="UC-MSCs in COVID-19", abstract=[AbstractSection(
    ...     "RESULTS", "No serious adverse events occurred; transient fever was seen in "
    ...     "2 patients. One patient died of pneumonia unrelated to the cells.", "RESULTS")])
    >>> s = extract_safety(parse_record(rec))
    >>> s.sae_status.value, s.sae_types.value, s.nonserious_aes.value
    ('some_reported', ['death', 'infection', 'pneumonia'], ['fever'])
    >>> [(f.category, f.events, f.relatedness) for f in s.findings if f.category == "fever"]
    [('fever', 2, 'not_stated')]

Method: adverse-event mentions (lexicon terms and the generic "serious adverse events",
"adverse events") carry the negation, hedging and relatedness the ConText-style component
of :mod:`msc_mine.nlp` gave them. A mention is an event report when it is neither negated
nor hedged and stands in a results-like section; it is serious when the lexicon says so
(death, embolism), when a modifier says so ("severe", "grade 3"), or when its clause names
serious adverse events. ``sae_status`` is ``some_reported`` if any serious event is
reported (an SAE called unrelated still counts, as the codebook says), ``none_reported``
if only negated serious/any-AE statements exist, else ``not_stated``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import pairwise

from spacy.tokens import Doc

from msc_mine.codebook import NOT_STATED, AEFinding, Value
from msc_mine.extract.parsed import ParsedRecord, Sentence, evidence_of
from msc_mine.nlp import Term, load_lexicon

__all__ = ["SafetyResult", "event_count", "extract_safety"]

# Sections whose AE words describe plans or earlier work, never this study's events.
_NO_EVENTS = frozenset({"TITLE", "BACKGROUND", "OBJECTIVE"})
# Categories the table lists beside a term (codebook: pneumonia -> infection).
_LISTED_CATEGORIES = frozenset({"thromboembolism", "infection", "malignancy"})
_SERIOUS_MODIFIERS = frozenset(
    {"serious", "severe", "life-threatening", "fatal", "grade 3", "grade 4", "grade iii",
     "grade iv", "grade iii-iv", "grade 3-4", "grade 3/4", "major", "sae", "saes"}
)  # fmt: skip
_MILD_MODIFIERS = frozenset(
    {"mild", "transient", "minor", "non-serious", "nonserious", "moderate", "self-limiting",
     "self-limited", "grade 1", "grade 2", "grade i", "grade ii", "grade i-ii", "grade 1-2",
     "grade i/ii", "grade 1/2", "grades i-ii", "grades 1-2", "low-grade", "slight",
     "transitory", "temporary"}
)  # fmt: skip
# Verbs that put a severity word after the term: "GVHD was limited", "the rash remained mild".
_COPULAS = frozenset({"was", "were", "is", "are", "remained", "stayed"})
# Staging words that mean a mild form, read only next to the term or as its predicate.
_STAGE_MILD = frozenset({"limited"})
# Words for "the text says these ones were serious after all" after a negated SAE statement.
_EXCEPTIONS = frozenset({"except", "other", "apart", "aside", "besides", "beyond"})
# Terms that are often not events (an outcome, a symptom scale): need an AE/SAE word or a
# report verb in their sentence to count.
_MAKES_SERIOUS = frozenset({"death", "hospitalization"})
_NEEDS_AE_CONTEXT = frozenset(
    {"worsening of disease", "pain", "hospitalization", "hypertension", "anemia", "fatigue",
     "malignancy", "death", "back pain", "infection"}
)  # fmt: skip
_REPORT_WORDS = frozenset(
    {"developed", "experienced", "occurred", "observed", "reported", "had", "died", "suffered",
     "presented", "noted", "seen", "showed", "required", "recorded", "documented", "case",
     "cases", "patient", "patients", "participant", "participants", "event", "events",
     "common", "frequent", "after", "attributed", "group", "arm"}
)  # fmt: skip
_PATIENT_NOUNS = frozenset(
    {"patient", "patients", "participant", "participants", "subject", "subjects", "case",
     "cases", "child", "children", "recipient", "recipients", "individuals", "infants",
     "neonates", "volunteers", "men", "women", "adults"}
)  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "a": 1, "an": 1, "single": 1,
}  # fmt: skip
# Words that may stand between a count and its event ("two serious infections").
_SKIPPABLE = _SERIOUS_MODIFIERS | _MILD_MODIFIERS | {
    "new", "acute", "recurrent", "episodes", "cases", "of", "local", "treatment-related",
    "cell-related", "infusion-related", "additional", "other", "further", "separate",
    "superficial", "wound", "catheter", "site", "brief", "isolated", "single",
}  # fmt: skip
_FRACTION = re.compile(r"^\(?(\d{1,4})/\d{1,5}\)?$")
# "AEs occurred in 9 patients; none was serious": a count of AEs with their seriousness denied.
_NONE_SERIOUS = re.compile(
    r"\bnone\b(?:\s+of\s+(?:which|them|these|those|the\s+\w+))?(?:\s+(?:was|were|is|are))?"
    r"(?:\s+(?:considered|judged|deemed|classified\s+as|rated\s+as|graded\s+as))?"
    r"(?:\s+(?:to\s+be|as))?\s+(?:serious|severe)\b",
    re.IGNORECASE,
)
_NOT_COUNT_BEFORE = frozenset(
    {"grade", "day", "days", "week", "weeks", "month", "months", "year", "years", "phase",
     "x", "×", "stage", "type", "at", "aged", "age", "class", "visit", "dose", "cohort"}
)  # fmt: skip


@dataclass
class SafetyResult:
    """The safety columns and the ``ae_long`` findings of one record."""

    sae_status: Value[str]
    sae_count: Value[int | None]
    sae_types: Value[list[str]]
    nonserious_aes: Value[list[str]]
    findings: list[AEFinding] = field(default_factory=list)


@dataclass(slots=True)
class _Mention:
    term: Term
    sent: Sentence
    name: str  # normalized AE name, "sae" or "ae" for the generic words
    category: str
    serious: bool
    positive: bool
    count: int | None
    term_text: str = ""


def _ae_table() -> dict[str, tuple[str, bool]]:
    return {
        b["name"]: (b["category"], b["serious"]) for b in load_lexicon("adverse_events.toml")["ae"]
    }


def _as_int(text: str) -> int | None:
    low = text.lower()
    if low in _NUMBER_WORDS:
        return _NUMBER_WORDS[low]
    if low.isdigit() and len(low) <= 4:
        return int(low)
    return None


def _number_at(doc: Doc, i: int) -> int | None:
    """The count a token states, unless it is a grade, day, percentage or exponent."""
    tok = doc[i]
    value = _as_int(tok.text)
    if value is None:
        return None
    if i > 0 and doc[i - 1].lower_ in _NOT_COUNT_BEFORE:
        return None
    if i + 1 < len(doc) and doc[i + 1].text in ("%", "(%", "x", "×", "/kg", "mg", "ml"):
        return None
    return value


def event_count(doc: Doc, term: Term, c0: int, c1: int) -> int | None:
    """Patients (or events) the clause ``c0:c1`` gives for ``term``, else None.

    Method: the nearest of four shapes wins: a number just before the term, skipping up to
    two modifiers ("two serious infections"); "(n = 3)" or "3 (10%)" right after it;
    "in 3 patients" after it; "3 patients had/developed ..." before it in the clause.
    """
    # A number just before, across at most two modifiers ("2 transient fevers").
    for i in range(term.start - 1, max(c0, term.start - 3) - 1, -1):
        value = _number_at(doc, i)
        if value is not None and doc[i].lower_ not in ("a", "an"):
            if i > 0 and doc[i - 1].lower_ in ("least", "≥", ">=", "than"):
                break  # "5 patients had at least one SAE": the count is of patients
            return value
        if doc[i].lower_ not in _SKIPPABLE:
            break
    # "(n = 3)", "(n=3)", "3 (10%)" or "in 3 patients" after the term. An "(n = 2)" after a
    # later event term is that term's own ("Three patients died, of infection (n = 2)").
    other = min(
        (
            t.start
            for t in doc._.terms
            if t.family in ("ae", "sae") and term.end <= t.start < c1 and t.start != term.start
        ),
        default=c1,
    )
    for i in range(term.end, min(c1, term.end + 9)):
        tok = doc[i]
        low = tok.lower_
        if low.startswith("n=") and _as_int(low[2:]) is not None and i < other:
            return _as_int(low[2:])
        if low == "n" and i + 2 < c1 and doc[i + 1].text == "=" and i < other:
            return _as_int(doc[i + 2].text)
        if low == "in" and i + 1 < c1:
            value = _number_at(doc, i + 1)
            # "in 2 patients", "in 2 (10%)", "in two MSC-treated patients"
            # "in 17 of 45 MPC-treated patients"
            nxt = [t.lower_ for t in doc[i + 2 : min(len(doc), c1, i + 6)]]
            # "... and headache in 2." (the noun left out)
            if value is not None and (
                not nxt or nxt[0] in ("(", ".", ",", ";", "and") or set(nxt) & _PATIENT_NOUNS
            ):
                return value
        fraction = _FRACTION.match(low)
        if fraction:
            return int(fraction.group(1))  # "30% (12/40)"
        if tok.text in (".", ";"):
            break
    # "3 patients (developed|had) ..." earlier in the clause.
    for i in range(term.start - 1, c0 - 1, -1):
        if doc[i].lower_ in _PATIENT_NOUNS and i > c0:
            j = i - 1
            if doc[j].lower_ == "of" and j - 1 >= c0:  # "two of the patients"
                j -= 2 if doc[j - 1].lower_ == "the" else 1
            after = {t.lower_ for t in doc[i + 1 : min(i + 4, term.start)]}
            if after & _CONTROL_WORDS:
                break  # "Five patients in the control group died, ...": not the MSC arm's count
            for k in (j, j - 1):
                if k >= c0:
                    value = _number_at(doc, k)
                    if value is not None:
                        # "3 of 20 MSC-treated patients": the events, not the arm size
                        if k - 2 >= c0 and doc[k - 1].lower_ == "of":
                            first = _number_at(doc, k - 2)
                            if first is not None:
                                return first
                        return value
            break
    return None


def _modifiers(doc: Doc, term: Term, c0: int) -> tuple[bool, bool]:
    """(serious, mild) modifiers within three tokens before the term, a grade right after
    it, or a predicate on it ("chronic GVHD was limited", "the rash was mild")."""
    lo = max(c0, term.start - 6)
    words = [t.lower_ for t in doc[lo : term.start]]
    pairs = [f"{a} {b}" for a, b in pairwise(words)]
    # A grade right after the term: "acute GVHD grade II", "fever (grade 1)".
    after = [t.lower_ for t in doc[term.end : min(len(doc), term.end + 4)] if t.text != "("]
    if after[:1] == ["grade"] and len(after) > 1:
        pairs.append(f"grade {after[1]}")
    if after[:1] and after[0] in _COPULAS and len(after) > 1:
        words.append(after[1])
        if len(after) > 2:
            pairs.append(f"{after[1]} {after[2]}")
    # "limited" (chronic GVHD's mild stage, against "extensive") only right at the term, so
    # that "limited data on infection" says nothing of the infection.
    if any(w in _STAGE_MILD for w in words[-2:]):
        words.append("mild")
    serious = any(w in _SERIOUS_MODIFIERS for w in words + pairs)
    mild = any(w in _MILD_MODIFIERS for w in words + pairs)
    return serious, mild


_CONTROL_WORDS = frozenset(
    {"control", "controls", "placebo", "vehicle", "sham", "comparator", "standard-care",
     "observational", "untreated", "historical", "declined", "registry"}
)  # fmt: skip
# Substrings that put the MSC arm in a clause ("cell-treated", "MSC recipients").
_TREATED_WORDS = ("msc", "treated", "cell", "given", "recipient", "experimental",
                  "intervention", "active", "infused")  # fmt: skip


def _control_arm_only(doc: Doc, c0: int, c1: int, clause_terms: list[Term]) -> bool:
    """The clause speaks of the control arm and not of the MSC arm."""
    words = {t.lower_ for t in doc[c0:c1]}
    if not words & _CONTROL_WORDS:
        return False
    if _control_then_none(doc, c0, c1):
        return True
    if any(t.family in ("cue:msc", "source") for t in doc._.terms if c0 <= t.start < c1):
        return False
    return not any(t in w for w in words for t in _TREATED_WORDS)


_CAUSE_WORDS = frozenset({"due", "from", "of", "to", "owing", "because", "secondary"})


def _cause_of_event(doc: Doc, term: Term, targets: list[Term]) -> bool:
    """The term names the cause ("due to disease progression") of a death or SAE reported
    earlier in the sentence."""
    before = {t.lower_ for t in doc[max(0, term.start - 2) : term.start]}
    if not before & _CAUSE_WORDS:
        return False
    return any(
        t.end <= term.start
        and not t.negated
        and not t.hedged
        and (t.family == "sae" or (t.family == "ae" and t.value in _MAKES_SERIOUS))
        for t in targets
    )


# Words that put a sentence in the study's own past: "we treated", "two patients died".
_STUDY_WORDS = frozenset(
    {"we", "was", "were", "had", "died", "developed", "occurred", "experienced", "received",
     "reported", "observed", "enrolled", "treated", "underwent", "included", "given"}
)  # fmt: skip


def _opening_background(parsed: ParsedRecord) -> Sentence | None:
    """The first sentence of an unstructured abstract when it is background: "Steroid-refractory
    GVHD carries a high mortality" states the disease's course in the present tense, without
    any word of this study."""
    body = [s for s in parsed.sentences if s.section != "TITLE"]
    if not body or body[0].section != "":
        return None
    first = body[0]
    if any(t.lower_ in _STUDY_WORDS for t in first.span):
        return None
    return first


_CONTRASTS = frozenset(
    {"while", "whereas", "but", "however", "non-serious", "nonserious", "other", "mild",
     "minor", "ae", "aes"}
)  # fmt: skip


def _sae_governs(doc: Doc, sae: Term, term: Term, clause_terms: list[Term]) -> bool:
    """The SAE words of the sentence make ``term`` serious, unless ``term`` stands in a later
    clause that has its own AE words ("; the most frequent AEs were fever ...") or sets itself
    apart ("..., while headache and nausea were the most common non-serious events")."""
    if sae.clause_start <= term.start < sae.clause_end:
        return True
    if any(t.family == "ae_generic" for t in clause_terms):
        return False
    if sae.start > term.start:
        # "One patient had pneumonia, which was classified as an SAE" looks back to the term;
        # "Fever occurred in 2 patients, and one SAE (sepsis) was reported" does not.
        opening = {
            tok.lower_ for tok in doc[sae.clause_start : min(sae.start, sae.clause_start + 3)]
        }
        return bool(opening & {"which", "who", "that", "both", "all", "each", "these"})
    lead = {tok.lower_ for tok in doc[term.clause_start : term.start]}
    return not lead & _CONTRASTS


def _no_significant(doc: Doc, term: Term) -> bool:
    """ "No significant adverse events": the context component reads "no significant" as the
    pseudo-trigger of "no significant difference", but before an AE word it denies them."""
    if term.family not in ("sae", "ae_generic") or term.negated:
        return False
    before = [t.lower_ for t in doc[max(0, term.start - 3) : term.start]]
    return before[-2:] == ["no", "significant"] or before == ["no", "clinically", "significant"]


def _control_then_none(doc: Doc, c0: int, c1: int) -> bool:
    """ "Two deaths occurred in the placebo arm and none in the MSC arm": the events belong to
    the control arm named first, and the MSC arm is given none."""
    control_at = next((i for i in range(c0, c1) if doc[i].lower_ in _CONTROL_WORDS), None)
    if control_at is None:
        return False
    for i in range(control_at + 1, c1):
        low = doc[i].lower_
        if any(t in low for t in _TREATED_WORDS):
            before = {t.lower_ for t in doc[max(control_at + 1, i - 4) : i]}
            return bool(before & {"none", "no", "zero", "0"})
    return False


def _part_of_disease(doc: Doc, term: Term, diseases: list[Term]) -> bool:
    """ "aplastic anaemia", "COVID-19 pneumonia", "HIV infection": the disease's name, not an
    event (the AE word sits inside a longer disease term, or right after one, or is the
    disease's abbreviation: "SAA" is both "aplastic anemia" and "anemia"). A recurrent or
    new one ("a recurrent ischaemic stroke") is an event all the same."""
    for d in diseases:
        if _recurrence(doc, d):
            continue
        if d.start <= term.start and term.end <= d.end and d.end - d.start > term.end - term.start:
            return True
        same_span = (d.start, d.end) == (term.start, term.end)
        if same_span and term.value != d.value and f" {term.value}" in f" {d.value}":
            return True
        if d.end == term.start and term.value in ("pneumonia", "infection"):
            return True
    return False


def _recurrence(doc: Doc, term: Term) -> bool:
    """ "a recurrent stroke", "new myocardial infarctions": the treated disease as an event."""
    before = {t.lower_ for t in doc[max(0, term.start - 3) : term.start]}
    return bool(before & {"recurrent", "new", "recurrence", "further", "another", "repeat"})


def _has_context(doc: Doc, sent: Sentence, term: Term) -> bool:
    if any(t.family in ("sae", "ae_generic") for t in sent.terms):
        return True
    if doc[term.start].lower_.startswith("mortalit") and any(
        t.text.endswith("%") or t.like_num for t in doc[term.end : term.clause_end]
    ):
        return True  # "Mortality at day 28 was 4% with MSCs": deaths given as a rate
    return any(t.lower_ in _REPORT_WORDS for t in sent.span if not term.start <= t.i < term.end)


def _mentions(parsed: ParsedRecord, conditions: set[str]) -> list[_Mention]:
    table = _ae_table()
    doc = parsed.doc
    out: list[_Mention] = []
    opening = _opening_background(parsed)
    for sent in parsed.sentences:
        if sent.section in _NO_EVENTS or sent is opening:
            continue
        diseases = [t for t in sent.terms if t.family == "disease"]
        targets = [
            t
            for t in sent.terms
            if t.family in ("ae", "sae", "ae_generic") and not _part_of_disease(doc, t, diseases)
        ]
        for term in targets:
            if _no_significant(doc, term):
                term = replace(term, negated=True)
            c0, c1 = term.clause_start, term.clause_end
            clause_terms = [t for t in targets if c0 <= t.start < c1 and t is not term]
            positive = not term.negated and not term.hedged
            if positive and sent.section == "METHODS":
                # Methods describe what was monitored; events are results.
                positive = False
                if not term.negated:
                    continue
            if positive and _control_arm_only(doc, c0, c1, clause_terms):
                continue  # "two SAEs were recorded in the control arm"
            sent_sae = any(
                not t.negated and not t.hedged and t.family == "sae"
                for t in targets
                if t is not term
            )
            if term.family == "sae":
                name, category, serious = "sae", "sae", True
            elif term.family == "ae_generic":
                name, category, serious = "ae", "", False
            else:
                name = term.value
                category, serious = table.get(name, ("", False))
                if (
                    name in conditions
                    and not sent_sae
                    and not any(t.family in ("sae", "ae_generic") for t in clause_terms)
                    and not _recurrence(doc, term)
                ):
                    continue  # the disease treated, named as such, is no adverse event
                if name == "worsening of disease" and _cause_of_event(doc, term, targets):
                    positive = not term.negated  # "four deaths, all due to disease progression"
                elif name == "worsening of disease" and not any(
                    t.family == "sae" or (t.family == "ae" and t.value in _MAKES_SERIOUS)
                    for t in clause_terms
                ):
                    continue  # "progression" is an outcome unless it is why someone died
                if (
                    positive
                    and name in _NEEDS_AE_CONTEXT
                    and not _has_context(doc, sent, term)
                    and event_count(doc, term, c0, c1) is None  # "One wound infection ..."
                ):
                    continue
                mod_serious, mild = _modifiers(doc, term, c0)
                # "SAEs included pneumonia", "died of pneumonia": serious by their clause.
                clause_sae = any(
                    not t.negated
                    and (t.family == "sae" or (t.family == "ae" and t.value in _MAKES_SERIOUS))
                    for t in clause_terms
                )
                after_exception = any(
                    t.family == "sae"
                    and t.negated
                    and t.end <= term.start
                    and any(tok.lower_ in _EXCEPTIONS for tok in doc[t.end : term.start])
                    for t in targets
                )
                if after_exception:
                    positive = not term.hedged
                if mild and name not in ("death", "malignancy"):
                    serious = False
                sae_listed = any(
                    _sae_governs(doc, t, term, clause_terms)
                    for t in targets
                    if t is not term and t.family == "sae" and not t.negated and not t.hedged
                )
                if mod_serious or clause_sae or after_exception or (sae_listed and not mild):
                    serious = True
            count = event_count(doc, term, c0, c1) if positive else None
            text = doc[term.start : term.end].text.lower()
            out.append(_Mention(term, sent, name, category, serious, positive, count, text))
    return out


def _relatedness(mentions: list[_Mention]) -> str:
    for m in mentions:
        if m.term.relatedness != NOT_STATED:
            return m.term.relatedness
    return NOT_STATED


def extract_safety(parsed: ParsedRecord, conditions: list[str] | None = None) -> SafetyResult:
    """SAE status, count and types, non-serious AEs, and per-category findings."""
    mentions = _mentions(parsed, set(conditions or []))
    generic_sae = [m for m in mentions if m.name == "sae"]
    pos_serious = [m for m in mentions if m.positive and m.serious]
    neg_general = [
        m for m in mentions if not m.positive and m.term.negated and m.name in ("sae", "ae")
    ]

    neg_general += [
        m
        for m in mentions
        if m.name == "ae"
        and m.positive
        and _NONE_SERIOUS.search(parsed.doc[m.term.end : m.sent.span.end].text)
    ]
    if pos_serious:
        status = Value("some_reported", evidence_of(m.sent for m in pos_serious))
    elif neg_general:
        status = Value("none_reported", evidence_of(m.sent for m in neg_general))
    else:
        status = Value(NOT_STATED)

    sae_count: Value[int | None] = Value(None)
    if status.value == "some_reported":
        counted = [m for m in generic_sae if m.positive and m.count is not None]
        if not counted:
            # No count on the SAE words: deaths and other serious events counted by name
            # ("Nine patients died") are the SAEs the text gives numbers for.
            counted = sorted(
                (m for m in pos_serious if m.count is not None),
                key=lambda m: -(m.count or 0),
            )
        if counted:
            sae_count = Value(counted[0].count, counted[0].sent.text)

    def terms_of(ms: list[_Mention]) -> Value[list[str]]:
        names: set[str] = set()
        for m in ms:
            names.add(m.name)
            if m.category in _LISTED_CATEGORIES:
                names.add(m.category)
            if m.name == "injection site reaction" and "pain" in m.term_text:
                names.add("pain")  # "injection-site pain" is both
        return (
            Value(sorted(names), evidence_of((m.sent for m in ms), limit=5)) if names else Value([])
        )

    typed = [m for m in mentions if m.name not in ("sae", "ae")]
    sae_types = terms_of([m for m in typed if m.positive and m.serious])
    nonserious = terms_of([m for m in typed if m.positive and not m.serious])
    return SafetyResult(status, sae_count, sae_types, nonserious, _findings(mentions, status))


def _findings(mentions: list[_Mention], status: Value[str]) -> list[AEFinding]:
    """One AEFinding per category (``sae``, each term, each core category)."""
    by_cat: dict[str, list[_Mention]] = {}
    for m in mentions:
        if m.name == "ae":
            continue
        by_cat.setdefault(m.name, []).append(m)
        if m.category and m.category != m.name and m.name != "sae":
            by_cat.setdefault(m.category, []).append(m)
    out: list[AEFinding] = []
    for category in sorted(by_cat):
        ms = by_cat[category]
        pos = [m for m in ms if m.positive]
        if category == "sae":
            pos += [m for m in mentions if m.positive and m.serious and m.name != "sae"]
        neg = [m for m in ms if m.term.negated]
        if pos:
            counts = [m.count for m in pos if m.count is not None]
            events: int | None = max(counts) if counts else None
            if category == "sae" and status.value != "some_reported":
                continue
            chosen = pos
        elif neg:
            events, chosen = 0, neg
        else:
            continue
        out.append(
            AEFinding(
                category=category,
                events=events,
                relatedness=_relatedness(chosen),
                serious=any(m.serious for m in chosen),
                evidence=evidence_of(m.sent for m in chosen),
            )
        )
    return out
