"""Study design and trial phase from publication types, MeSH headings and text cues.

Example::

    >>> from msc_mine.extract.design import classify_design, classify_phase
    >>> classify_design(["Journal Article", "Randomized Controlled Trial"], ["Humans"],
    ...                 "UC-MSCs for knee osteoarthritis", "Sixty patients were enrolled.")
    ('rct', 'publication type: Randomized Controlled Trial')
    >>> classify_design([], ["Animals", "Mice"], "MSCs in colitis",
    ...                 "MSCs were injected in mice with DSS colitis.")
    ('animal', 'MeSH: Animals; Mice, no Humans')
    >>> classify_design(["Journal Article"], [], "Safety of MSCs in ALS",
    ...                 "In this open-label, single-arm study, 12 patients received MSCs.")
    ('non_randomized_trial', 'In this open-label, single-arm study, 12 patients received MSCs.')
    >>> classify_phase([], "A phase 1/2a trial of MSCs in lupus.")
    ('1/2', 'A phase 1/2a trial of MSCs in lupus.')

Method: an ordered cascade of evidence, most curated first: PubMed publication types (which
indexers assign from the full text), then MeSH check tags (Animals without Humans, In Vitro
Techniques), then cue phrases in the title and abstract, each family a small named regular
expression tried in a fixed priority order (protocol, review, case report, animal, in vitro,
randomized, non-randomized trial, a named case series, cohort, a retrospective look back,
case series). Trial cues in a sentence that plans or recommends a trial ("a randomized trial
is under way") are skipped. A retrospective study is a cohort only if the text names a
comparison group, else a case series. Phase reads the "Clinical Trial,
Phase N" publication types, else a "phase I/II", "phase 1/2a", "phase IIb" mention in the
text (Roman or Arabic, sub-letters dropped), skipping phases of earlier studies.

Both functions return ``(value, evidence)``: the evidence is the publication type or MeSH
heading that decided, or the sentence the cue was read from; ``""`` evidence only with the
fall-back values (``other``, or ``""`` for no phase).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# --- publication types ------------------------------------------------------------------------

# In priority order: a protocol has no results whatever else it is tagged; a systematic
# review or meta-analysis outranks the trial types it pools; a case report with a literature
# review ("Case Reports; Review") is a case report.
_PUBTYPE_RULES: tuple[tuple[str, str], ...] = (
    ("clinical trial protocol", "protocol"),
    ("systematic review", "review"),
    ("meta-analysis", "review"),
    ("randomized controlled trial", "rct"),
    ("equivalence trial", "rct"),
    ("case reports", "case_report"),
    ("review", "review"),
    ("scoping review", "review"),
    ("controlled clinical trial", "non_randomized_trial"),
    ("observational study", "cohort"),
)
_TRIAL_PUBTYPE = re.compile(r"^clinical trial(?:, phase [iv]+)?$|^clinical study$", re.I)

# --- MeSH -------------------------------------------------------------------------------------

_ANIMAL_MESH = re.compile(
    r"^(?:animals|mice(?:, .*)?|rats(?:, .*)?|disease models, animal|dogs|swine|sheep|rabbits"
    r"|macaca.*|primates|horses|cattle|goats|zebrafish)$",
    re.I,
)

# --- text cues --------------------------------------------------------------------------------

_PROTOCOL = re.compile(
    r"\bstudy protocol\b|\btrial protocol\b|\bthis protocol\b|\bprotocol (?:for|of) a\b"
    r"|\bwe will\b|\bwill be (?:randomi[sz]ed|enrolled|recruited|assessed|allocated|included)\b",
    re.I,
)
_REVIEW = re.compile(
    r"\bsystematic(?:ally)? review|\bmeta-?analys[ie]s\b|\bscoping review\b|\bnarrative review"
    r"|\bliterature review\b|\bthis review\b|\bumbrella review\b"
    r"|\bwe review(?:ed)?\b(?!\s+(?:\w+\s+){0,3}?(?:patients|records|charts|cases|outcomes))"
    r"|\bin this review\b|\bwe summari[sz]e\b",
    re.I,
)
_CASE_REPORT = re.compile(
    r"\bwe (?:describe|report|present) (?:a|the|an) (?:\w+ )?(?:case|patient)\b|\bcase report\b"
    r"|\ba \d{1,3}-(?:year|month)-old (?:\w+ )?(?:man|woman|male|female|boy|girl|patient|child"
    r"|infant)\b",
    re.I,
)
_ANIMAL = re.compile(
    r"\b(?:in|of|into|to) (?:\w+ ){0,3}?(?:mice|rats|rabbits|dogs|pigs|sheep|monkeys|primates"
    r"|macaques|minipigs|horses|animals)\b|\b(?:rat|mouse|murine|rodent|canine|porcine|ovine"
    r"|rabbit|primate|animal|swine|equine|xenograft) models?\b|\bmurine\b|\bmice\b|\brats\b",
    re.I,
)
_IN_VITRO = re.compile(
    r"\bin vitro\b|\bco-?cultured?\b|\bcell lines?\b|\bcultured (?:\w+ )?cells\b", re.I
)
# Human clinical subjects: their presence vetoes "animal"/"in vitro" from text alone.
_HUMAN = re.compile(
    r"\b(?:patients|participants|subjects|volunteers|children|adults|women|men)\b[^.;]{0,60}?"
    r"\b(?:were|was)\s+(?:\w+\s+)?(?:enrolled|recruited|treated|randomi[sz]ed|infused|given"
    r"|transplanted|injected)\b"
    r"|\b(?:patients|participants|subjects)\s+(?:\w+\s+)?received\b"
    r"|\b(?:treated|infused|transplanted)\s+(?:\w+\s+){0,3}?(?:patients|participants|children)\b",
    re.I,
)
# A trial design recommended, planned or already running elsewhere is not this study's
# design: "a randomized trial is under way", "we are now conducting a randomized trial",
# "a randomized phase 2 trial will test the highest dose", "... is justified".
_RECOMMENDED = re.compile(
    r"\b(?:needed|warranted|required|necessary|support(?:s|ing)?|future|larger|further|should"
    r"|would|will|planned|ongoing|under\s?way|in progress|upcoming|merits?"
    r"|justif(?:y|ies|ied))\b"
    r"|\b(?:is|are)\s+(?:now\s+|currently\s+)?(?:being\s+)?(?:conduct|recruit|enroll?|plann)ing\b"
    r"|\b(?:is|are)\s+(?:now\s+|currently\s+)?being\s+(?:conducted|planned|designed)\b",
    re.I,
)
# The leading look-ahead (every alternative starts with r, d or p) fails fast at most
# positions, before the four look-behinds are tried.
_RCT = re.compile(
    r"(?=[rdp])(?:(?<!non-)(?<!non)(?<!not )(?<!quasi-)\brandomi[sz]ed\b|\bdouble-blind(?:ed)?\b"
    r"|\bplacebo-controlled\b|\brandomly (?:assigned|allocated)\b)",
    re.I,
)
_NON_RANDOMIZED = re.compile(
    r"\bsingle-arm\b|\bsingle arm\b|\bopen-label\b|\bopen label\b|\bnon-?randomi[sz]ed\b"
    r"|\bphase (?:I{1,3}|IV|[1-4])\b|\bpilot (?:study|trial)\b|\bdose-escalation\b"
    r"|\bdose escalation\b|\buncontrolled\b|\bclinical trial\b|\bfirst-in-human\b|\bquasi-",
    re.I,
)
# The authors' own "cohort" (or a registry, an observational design) names a cohort.
_COHORT = re.compile(
    r"\bcohort study\b|\b(?:prospective|retrospective|observational|matched|historical) cohort\b"
    r"|\bprospective observational\b|\bregistry\b|\bobservational study\b",
    re.I,
)
# A look back at treated patients is a cohort only with a comparison group; without one
# ("This retrospective analysis covers all children treated at our centre") it describes a
# series of cases.
_RETROSPECTIVE = re.compile(r"\bretrospective(?:ly)?\b|\bchart review\b|\bmedical records\b", re.I)
# "graft-versus-host" is no comparison: hyphenated "versus" is skipped.
_COMPARISON = re.compile(
    r"\bcontrols?\b|\bcompar(?:es?|ed|ison|ing|ative)\b|\buntreated\b"
    r"|(?<!-)\b(?:versus|vs)\b(?!-)|\bmatched\b|\bunexposed\b|\bnot (?:given|receiving|treated)\b"
    r"|\bwithout MSCs?\b",
    re.I,
)
_CASE_SERIES_NAMED = re.compile(r"\bcase series\b", re.I)
# "We treated 25 children", "we report five patients": the treating team's own cases.
_CASE_SERIES = re.compile(
    r"\bwe (?:report|describe|present|reviewed|treated) (?:\w+ ){0,3}?(?:cases|patients"
    r"|children|adults|infants|neonates)\b",
    re.I,
)
# The families in priority order (first that matches decides).
_TEXT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("protocol", _PROTOCOL),
    ("review", _REVIEW),
    ("case_report", _CASE_REPORT),
    ("animal", _ANIMAL),
    ("in_vitro", _IN_VITRO),
    ("rct", _RCT),
    ("non_randomized_trial", _NON_RANDOMIZED),
    ("case_series", _CASE_SERIES_NAMED),
    ("cohort", _COHORT),
    ("retrospective", _RETROSPECTIVE),  # cohort or case_series: see classify_design
    ("case_series", _CASE_SERIES),
)
# Families a human-subjects statement overrules (a clinical trial that cites mouse work).
_VETOED_BY_HUMANS = {"animal", "in_vitro"}
# Families that must be read in the title or in the study's own voice, not in background.
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])|\n+")


def _sentences(title: str, abstract: str) -> list[str]:
    parts = [title.strip()] if title.strip() else []
    parts += [s.strip() for s in _SENTENCE.split(abstract) if s.strip()]
    return parts


def _first_sentence_with(
    pattern: re.Pattern[str], sentences: Iterable[str], skip: re.Pattern[str] | None = None
) -> str | None:
    for sent in sentences:
        if pattern.search(sent) and not (skip is not None and skip.search(sent)):
            return sent
    return None


def _from_publication_types(publication_types: Sequence[str]) -> tuple[str, str] | None:
    lowered = {p.strip().lower(): p.strip() for p in publication_types}
    for name, design in _PUBTYPE_RULES:
        if name in lowered:
            return design, f"publication type: {lowered[name]}"
    return None


def _from_mesh(mesh_descriptors: Sequence[str]) -> tuple[str, str] | None:
    names = [m.strip() for m in mesh_descriptors]
    lowered = {n.lower() for n in names}
    if "humans" in lowered:
        return None
    animal = [n for n in names if _ANIMAL_MESH.match(n)]
    if animal:
        return "animal", f"MeSH: {'; '.join(animal)}, no Humans"
    if "in vitro techniques" in lowered:
        return "in_vitro", "MeSH: In Vitro Techniques, no Humans"
    return None


def classify_design(
    publication_types: Sequence[str],
    mesh_descriptors: Sequence[str],
    title: str,
    abstract: str,
) -> tuple[str, str]:
    """The codebook's ``study_design`` and its evidence.

    Publication types decide first (Review, Systematic Review, Meta-Analysis -> ``review``;
    Randomized Controlled Trial -> ``rct``; Clinical Trial Protocol -> ``protocol``; Case
    Reports -> ``case_report``); then MeSH (Animals or an animal heading without Humans ->
    ``animal``; In Vitro Techniques without Humans -> ``in_vitro``); then text cues in the
    title and abstract. A plain "Clinical Trial" publication type gives ``rct`` when the
    text says randomized, else ``non_randomized_trial``. Nothing found: ``("other", "")``.
    """
    by_pubtype = _from_publication_types(publication_types)
    if by_pubtype is not None:
        return by_pubtype
    by_mesh = _from_mesh(mesh_descriptors)
    if by_mesh is not None:
        return by_mesh
    sentences = _sentences(title, abstract)
    trial_types = [p for p in publication_types if _TRIAL_PUBTYPE.match(p.strip())]
    human: bool | None = None  # looked for only when a vetoed design comes up
    for design, pattern in _TEXT_RULES:
        if trial_types and design not in ("protocol", "rct"):
            continue  # an indexed clinical trial: only "protocol" or "randomized" refine it
        if design in _VETOED_BY_HUMANS:
            if human is None:
                human = _first_sentence_with(_HUMAN, sentences) is not None
            if human:
                continue
        # "supporting a randomized trial" recommends a design; it does not describe this one.
        skip = _RECOMMENDED if design in ("rct", "non_randomized_trial") else None
        sent = _first_sentence_with(pattern, sentences, skip)
        if sent is not None:
            if design == "retrospective":
                compared = _first_sentence_with(_COMPARISON, sentences) is not None
                return ("cohort" if compared else "case_series"), sent
            return design, sent
    if trial_types:
        return "non_randomized_trial", f"publication type: {trial_types[0].strip()}"
    return "other", ""


# --- phase ------------------------------------------------------------------------------------

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_PH = r"(?P<{n}>IV|I{{1,3}}|[0-4])(?:[ab])?(?![\w])"
_PHASE = re.compile(
    r"\bphases?\s*"
    + _PH.format(n="a")
    + r"(?:\s*(?:/|-|–|and|or|to)\s*(?:phase\s*)?"
    + _PH.format(n="b")
    + r")?",
    re.I,
)
_PUBTYPE_PHASE = re.compile(r"^clinical trial, phase (?P<a>iv|i{1,3})$", re.I)
# A phase named for an earlier or planned study is not this study's phase.
_OTHER_STUDY = re.compile(
    r"\b(?:previous|prior|earlier|preceding|completed|published|subsequent|future|planned"
    r"|larger|ongoing)\s+(?:\w+\s+){0,2}?$",
    re.I,
)
_PHASE_VALUES = {(1, 1): "1", (2, 2): "2", (3, 3): "3", (4, 4): "4", (1, 2): "1/2", (2, 3): "2/3"}


def _phase_number(token: str) -> int:
    t = token.lower()
    return _ROMAN[t] if t in _ROMAN else int(t)


def _phase_value(a: int, b: int | None) -> str:
    """Codebook phase from one or two phase numbers ("" outside the vocabulary)."""
    lo, hi = (a, a) if b is None else (min(a, b), max(a, b))
    return _PHASE_VALUES.get((lo, hi), "")


def classify_phase(publication_types: Sequence[str], text: str) -> tuple[str, str]:
    """The codebook's ``phase`` (``1``, ``1/2``, ``2``, ``2/3``, ``3``, ``4`` or ``""``).

    "Clinical Trial, Phase N" publication types decide (Phase I and Phase II together give
    ``1/2``); else the first "phase ..." mention in ``text`` (title first, if the caller
    puts it first) that is not about an earlier or planned study. "phase I/II" and "phase
    1/2a" -> ``1/2``; "phase IIb" -> ``2``; "phase 0" or "phase 1/3" -> no value.
    """
    numbers = sorted(
        {
            _phase_number(m.group("a"))
            for p in publication_types
            if (m := _PUBTYPE_PHASE.match(p.strip()))
        }
    )
    if numbers:
        value = _phase_value(numbers[0], numbers[-1] if len(numbers) > 1 else None)
        if value:
            names = [p.strip() for p in publication_types if _PUBTYPE_PHASE.match(p.strip())]
            return value, "publication type: " + "; ".join(names)
    for m in _PHASE.finditer(text):
        sentence_start = max(text.rfind(". ", 0, m.start()) + 2, text.rfind("\n", 0, m.start()) + 1)
        if _OTHER_STUDY.search(text[max(sentence_start, m.start() - 40) : m.start()]):
            continue
        a = _phase_number(m.group("a"))
        b = _phase_number(m.group("b")) if m.group("b") else None
        if a == 0:
            continue
        value = _phase_value(a, b)
        if value:
            return value, _sentence_around(text, m.start(), m.end())
    return "", ""


def _sentence_around(text: str, start: int, end: int) -> str:
    s = 0
    for m in _SENTENCE.finditer(text, 0, start):
        s = m.end()
    nxt = _SENTENCE.search(text, end)
    return text[s : nxt.start() if nxt else len(text)].strip()
