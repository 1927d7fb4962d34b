"""Cell-dose parsing: find MSC doses in abstract text and read them as plain numbers.

Example::

    >>> from msc_mine.extract.dose import parse_doses, summarize
    >>> text = ("Patients received 1 × 10(6) cells/kg (low dose) or 5 × 10(6) cells/kg "
    ...         "(high dose) by intravenous infusion; IL-6 fell by 20% at 6 months.")
    >>> [(m.low, m.high, m.unit) for m in parse_doses(text)]
    [(1000000.0, 1000000.0, 'cells/kg'), (5000000.0, 5000000.0, 'cells/kg')]
    >>> m = parse_doses(text)[0]
    >>> text[m.start:m.end]
    '1 × 10(6) cells/kg'
    >>> summarize(parse_doses(text))
    (1000000.0, 5000000.0, 'cells/kg')

Method: a small regular-expression tokenizer finds the pieces of a quantity (a number,
a list or range of numbers, a mean ± SD, a multiplier: ``× 10^n`` in every rendering PubMed
and authors use, ``e+n``, ``million``/``billion``), and a grammar joins them as
``quantity (separator quantity)* unit`` where the unit is a cell noun and/or a per-kilogram
or per-patient phrase. A quantity counts as a cell dose only if its unit says cells or per
kg (or, for a bare ``× 10^n``/``million`` figure, its sentence talks about cells or dosing
and no other unit such as IU, mg or mL follows) and its magnitude is plausible for a cell
dose: 10^4..10^11 cells in absolute terms, 10^3..10^9 cells per kg.

A superscript lost in copying (``1 × 106 cells/kg``) is read as 10^6 only after a
multiplication sign and only when that reading is a plausible dose. Each mention keeps its
character span: ``text[m.start:m.end]`` is the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

DoseUnit = Literal["cells/kg", "cells"]

# Plausible magnitudes (inclusive). Below or above these the figure is something else: a
# concentration, a cell count in a lab value, a typo. Per kg: 10^3..10^9; absolute: 10^4..10^11.
PER_KG_RANGE = (Decimal(10) ** 3, Decimal(10) ** 9)
ABSOLUTE_RANGE = (Decimal(10) ** 4, Decimal(10) ** 11)


@dataclass(frozen=True)
class DoseMention:
    """One dose statement: ``low``..``high`` cells (or cells/kg), with its character span.

    ``per_infusion`` is True when the text ties the figure to one administration ("per
    infusion", "each dose"), False when it is a total, None when the text does not say.
    ``total`` is True for cumulative figures ("a total of 2 × 10(8) cells"). ``non_msc`` is
    True when the cells counted are named as other cells (CD34+, CD133+, mononuclear,
    nucleated cells): kept, since a study of such cells states its dose that way, but
    :func:`summarize` takes them only when no other dose is given.
    """

    low: float
    high: float
    unit: DoseUnit
    start: int
    end: int
    text: str
    per_infusion: bool | None
    total: bool
    non_msc: bool = False


# --- the tokens -------------------------------------------------------------------------

_SUP_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_TABLE = str.maketrans(_SUP_DIGITS + "⁺⁻", "0123456789+-")
_MINUS = "-−–"  # authors type hyphen, minus sign or en dash for a negative exponent

# A plain number: thousands separators only with groups of three ("1,000,000"), so that a
# list like "1, 3 and 10" stays three numbers.
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?![\d,]\d)|\d+(?:\.\d+)?|\.\d+)"
_WORD_NUMS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "one hundred": 100, "two hundred": 200, "a hundred": 100,
    "five hundred": 500, "a": 1,
}  # fmt: skip
_WORD_NUM = r"(?:" + "|".join(sorted(map(re.escape, _WORD_NUMS), key=len, reverse=True)) + r")"
# Numbers never start inside a word: "CD34", "IL-6", "H2O", "1.5" read from its start.
_LEFT = r"(?<![\w.,\-–/^])"
_PM = r"(?:±|\+/-|\+-|\+/−)"
# A mantissa: "1.0 ± 0.2" or "(1.0 ± 0.2)" (mean ± SD: the mean is the dose), or a number.
_MEAN_SD = rf"\(\s*{_NUM}\s*{_PM}\s*{_NUM}\s*\)|{_NUM}\s*{_PM}\s*{_NUM}"
_MANT = rf"(?:{_MEAN_SD}|{_NUM})"
# Separators inside a list/range of numbers or quantities: "2-5", "1, 3 and 10",
# "0.5, 1.0 or 2.0", "1 to 2", "1 and/or 2".
_SEP = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|and/or|to)\s+|\s*[-–—~]\s*)"
_MANT_LIST = rf"{_MANT}(?:{_SEP}{_MANT})*"
_TIMES = r"\s*(?:[x×X✕✗*·]|times)\s*"
_SUP_EXP = rf"[⁺⁻]?[{_SUP_DIGITS}]{{1,2}}"
_SIGNED = rf"[+{_MINUS}]?\s*\d{{1,2}}"
# "10" followed by its exponent, in each way the superscript reaches plain text. The last
# alternative is the lost superscript ("106"), guarded by a plausibility check in code.
_POW10 = rf"""
    10(?:
        \s*\^\s*\(?\s*(?P<caret>{_SIGNED})\s*\)?
      | \s?\(\s*(?P<paren>{_SIGNED})\s*\)
      | \s?(?P<sup>{_SUP_EXP})
      | [eE](?P<e10>{_SIGNED})
      | (?P<lost>\d{{1,2}})(?![\d.]|,\d)
      | (?P<bare>)(?![\d.])
    )"""
# A standalone power with no mantissa: "10^6 cells/kg", "10(6)/kg", "10⁶ MSCs". No
# lost-superscript reading here: a bare "106" is just a number.
_POW10_ALONE = rf"""
    10(?:
        \^\s*\(?\s*(?P<a_caret>{_SIGNED})\s*\)?
      | \((?P<a_paren>{_SIGNED})\)
      | (?P<a_sup>{_SUP_EXP})
    )"""
_E_NOTATION = rf"[eE](?P<enot>[+{_MINUS}]?\d{{1,2}})(?!\w)"
_WORD_MULT = r"(?P<word>millions?|billions?|mio\.?|bn|thousands?)(?!\w)"

_QUANTITY_BODY = rf"""
    (?:
        {_POW10_ALONE}
      | (?P<mant>{_MANT_LIST})
        (?:
            {_TIMES}{_POW10}
          | {_E_NOTATION}
          | \s*{_WORD_MULT}
        )?
      | (?P<wmant>{_WORD_NUM})\s+{_WORD_MULT.replace("?P<word>", "?P<word2>")}
    )
    """
# The look-ahead (what a quantity can start with) fails fast before the look-behind runs.
_QUANTITY = re.compile(
    r"(?=[\d(.OoTtFfSsEeNnHhAa])" + _LEFT + _QUANTITY_BODY, re.VERBOSE | re.IGNORECASE
)
# After a range dash the left-boundary guard must not apply ("1 × 10(6)–5 × 10(6)").
_QUANTITY_NEXT = re.compile(_QUANTITY_BODY, re.VERBOSE | re.IGNORECASE)
_SEP_RE = re.compile(_SEP, re.IGNORECASE)
_NUM_RE = re.compile(_NUM)
_MEAN_SD_RE = re.compile(rf"\(?\s*(?P<mean>{_NUM})\s*{_PM}")

# Cell nouns: "cells", "MSCs", "hUC-MSCs", "BM-MSCs", "ADSCs", "MPCs", "stromal cells", with up
# to five modifiers before them ("autologous bone marrow-derived mesenchymal stem cells").
_CELL_NOUN = r"(?:[\w'’+-]*(?:[cC]ells?|SCs?|MPCs?|MNCs?|MSC)|MSCs?)"
# Function words and other units end the modifier run: in "10(6) IU of interferon and MSCs"
# the cells are not what the number counts.
_MOD_STOP = (
    r"(?!(?:of|and|or|in|into|with|were|was|to|for|per|at|from|by|the|a|an|on|than|IU|U|mg"
    r"|mL|ml|patients?|subjects?|participants?|people|kg)\b)"
)
_MODIFIERS = rf"(?:{_MOD_STOP}(?:[A-Za-z(][\w'’+/()-]*|\d+\+?)\s+){{0,5}}?"
_PER_KG = (
    r"(?:\s*/\s*kg|\s*·?\s*kg\s*\(?\s*[-−–]\s*1\s*\)?|\s*kg⁻¹|\s+per\s+(?:kg|kilogram)"
    r"|\s*/\s*kilogram)"
    r"(?:\s*(?:of\s+)?(?:body[\s-]*weight|b\.\s?w\.|BW|bw)(?!\w))?"
)
_PER_PERSON = r"(?:\s*/\s*|\s+per\s+)(?:patient|person|subject|individual|recipient)s?\b"
_UNIT = re.compile(
    rf"""
    (?P<cells>(?:\s+of(?:\s+the)?)?\s*{_MODIFIERS}{_CELL_NOUN}(?!\w))?
    (?P<perkg>{_PER_KG})?
    (?P<perperson>{_PER_PERSON})?
    """,
    re.VERBOSE,
)
# What follows a number and makes it something other than a cell dose.
_NOT_CELLS = re.compile(
    r"""\s*(?:
        IU|U\b|units?\b|[µμu]?g\b|mg|mcg|ng|kg\b|m[lL]\b|[µμu][lL]\b|L\b|dL\b|copies|vg\b
      | viral|particles|CFU|PFU|TCID|cm|mm|[µμu]m\b|m\b|nm\b|people|patients|persons
      | individuals|subjects|participants|cases|deaths|USD|dollars|euros|years|months
      | weeks|days|hours|h\b|min|%|/\s*(?:L|m[lL]|[µμu][lL]|mm3|mm²|cm2|well)\b
      | per\s+(?:liter|litre|m[lL]|[µμu][lL]|well)
      | platelets|neutrophils|leukocytes|lymphocytes|copies|reads|genomes|molecules
    )""",
    re.VERBOSE,
)
# Cells per volume/area/well are concentrations or culture densities, not doses.
_CONCENTRATION = re.compile(
    r"\s*(?:/|per)\s*(?:m[lL]|[µμu][lL]|L|liter|litre|well|cm2|cm²|dish|flask|plate|mm2)\b"
)
# Haematopoietic and other non-MSC cell doses (a CD34+ graft beside the MSCs) are not the
# MSC dose the codebook asks for.
_NON_MSC_CELLS = re.compile(
    r"CD\d+|mononuclear|MNCs?\b|nucleated|HSCs?\b|haematopoietic|hematopoietic|\bT[\s-]cells?"
    r"|\bNK\b|lymphocytes|islets?|platelets|red\s+blood|leukocytes|neutrophils|bacteria",
    re.IGNORECASE,
)
# A non-MSC cell noun right after a per-kg figure with no cell noun of its own
# ("3.2 × 10(6)/kg CD34+ cells").
_OTHER_CELLS_AFTER = re.compile(
    r"\s*(?:of\s+)?(?:CD\d+|mononuclear|MNCs?\b|nucleated|HSCs?\b|haematopoietic|hematopoietic)",
    re.IGNORECASE,
)
# A sentence mentioning cells or dosing lets a bare "2 million" or "× 10^6" be a dose.
_DOSE_CUE = re.compile(
    r"cell|MSC|SCs\b|dose|dosage|infus|inject|administ|transplant|transfus|received|given",
    re.IGNORECASE,
)
_TOTAL_BEFORE = re.compile(
    r"\b(?:total|cumulative|cumulatively|overall|sum)\b[^.;\d]{0,30}$", re.IGNORECASE
)
_TOTAL_AFTER = re.compile(
    r"^[^.;\d]{0,25}?\b(?:in\s+total|total(?:\s+dose)?|cumulative(?:ly)?|overall)\b",
    re.IGNORECASE,
)
_ADMIN = (
    r"(?:infusions?|injections?|doses?|administrations?|treatments?|sessions?|"
    r"transplantations?|transfusions?|courses?|cycles?)"
)
_PER_ADMIN_AFTER = re.compile(
    rf"^(?:\s*/\s*{_ADMIN}|[^.;\d]{{0,40}}?\b(?:per|each|every|at\s+each|for\s+each|in\s+each"
    rf"|a\s+single|single|one)\s+(?:\w+\s+){{0,2}}?{_ADMIN}\b)",
    re.IGNORECASE,
)
_PER_ADMIN_BEFORE = re.compile(
    rf"\b(?:each|per|every|single|one)\s+(?:\w+\s+){{0,2}}?{_ADMIN}\b[^.;\d]{{0,40}}$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?;](?=\s+[A-Z(\[])|\n")


# --- small named predicates -----------------------------------------------------------------


def _plausible(value: Decimal, unit: DoseUnit) -> bool:
    low, high = PER_KG_RANGE if unit == "cells/kg" else ABSOLUTE_RANGE
    return low <= value <= high


_MSC_WORD = re.compile(r"MSC|mesenchymal|stromal|SCs\b", re.IGNORECASE)


def _names_other_cells_before(text: str, start: int) -> bool:
    """True when the figure sits right after non-MSC cells ("mononuclear cells (2 × 10(8))").

    A figure with no cell noun of its own counts whatever was named just before it; if that
    is a haematopoietic product and no MSC word comes after it, the figure is not ours.
    """
    window = text[max(0, start - 40) : start]
    others = list(_NON_MSC_CELLS.finditer(window))
    return bool(others) and not _MSC_WORD.search(window, others[-1].end())


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around a span: enough for cue look-ups, no NLP needed."""
    s = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        s = m.end()
    m2 = _SENTENCE_END.search(text, end)
    return s, (m2.start() + 1 if m2 else len(text))


def _to_decimal(number: str) -> Decimal:
    try:
        return Decimal(number.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex only lets numbers through
        return Decimal(0)


def _mantissas(mant: str) -> list[Decimal]:
    """Numbers of a mantissa list; a mean ± SD gives its mean only."""
    values: list[Decimal] = []
    pos = 0
    while pos < len(mant):
        m = _MEAN_SD_RE.match(mant, pos)
        if m is not None:
            values.append(_to_decimal(m.group("mean")))
            # Skip past the SD and any closing bracket.
            close = re.compile(rf"\s*{_NUM}\s*\)?").match(mant, m.end())
            pos = close.end() if close else m.end()
        else:
            n = _NUM_RE.match(mant, pos)
            if n is None:
                sep = _SEP_RE.match(mant, pos)
                pos = sep.end() if sep and sep.end() > pos else pos + 1
                continue
            values.append(_to_decimal(n.group()))
            pos = n.end()
    return values


def _exponent(s: str) -> int:
    s = s.translate(_SUP_TABLE).replace(" ", "")
    for ch in _MINUS:
        s = s.replace(ch, "-")
    return int(s)


@dataclass(frozen=True)
class _Quantity:
    """One matched quantity: its numbers (already multiplied) and how it was written."""

    values: tuple[Decimal, ...]
    start: int
    end: int
    has_multiplier: bool
    # "× 106" read as 10^6: kept only when plausible (nobody writes "1 × 106" for 106).
    lost_superscript: bool


def _read_quantity(m: re.Match[str]) -> _Quantity | None:
    g = m.groupdict()
    if g["wmant"] is not None:
        base = [Decimal(_WORD_NUMS[g["wmant"].lower()])]
        mult = _word_multiplier(g["word2"])
        return _Quantity(tuple(b * mult for b in base), m.start(), m.end(), True, False)
    if g["mant"] is None:  # a standalone power of ten
        exp = g["a_caret"] or g["a_paren"] or g["a_sup"]
        assert exp is not None
        return _Quantity((Decimal(10) ** _exponent(exp),), m.start(), m.end(), True, False)
    base = _mantissas(g["mant"])
    if not base:
        return None
    for name in ("caret", "paren", "sup", "e10", "enot"):
        if g[name] is not None:
            mult = Decimal(10) ** _exponent(g[name])
            return _Quantity(tuple(b * mult for b in base), m.start(), m.end(), True, False)
    if g["lost"] is not None:
        mult = Decimal(10) ** int(g["lost"])
        return _Quantity(tuple(b * mult for b in base), m.start(), m.end(), True, True)
    if g["bare"] is not None:  # "10 × 10": a product of two plain numbers
        return _Quantity(tuple(b * 10 for b in base), m.start(), m.end(), True, False)
    if g["word"] is not None:
        mult = _word_multiplier(g["word"])
        return _Quantity(tuple(b * mult for b in base), m.start(), m.end(), True, False)
    return _Quantity(tuple(base), m.start(), m.end(), False, False)


def _word_multiplier(word: str) -> Decimal:
    w = word.lower()
    if w.startswith(("billion", "bn")):
        return Decimal(10) ** 9
    if w.startswith("thousand"):
        return Decimal(10) ** 3
    return Decimal(10) ** 6


def _next_quantity(text: str, pos: int) -> re.Match[str] | None:
    """A quantity that continues a list or range right at ``pos`` ("... to 1 × 10(7)")."""
    sep = _SEP_RE.match(text, pos)
    if sep is None:
        return None
    q = _QUANTITY_NEXT.match(text, sep.end())
    return q if q is not None and q.group().strip() else None


def _detect_total(text: str, start: int, end: int, s_start: int, s_end: int) -> bool:
    before = text[max(s_start, start - 45) : start]
    after = text[end:s_end]
    return bool(_TOTAL_BEFORE.search(before) or _TOTAL_AFTER.search(after))


def _detect_per_admin(text: str, start: int, end: int, s_start: int, s_end: int) -> bool:
    before = text[max(s_start, start - 60) : start]
    after = text[end:s_end]
    return bool(_PER_ADMIN_AFTER.search(after) or _PER_ADMIN_BEFORE.search(before))


# --- the grammar ----------------------------------------------------------------------------


def parse_doses(text: str) -> list[DoseMention]:
    """Every cell dose stated in ``text``, in reading order.

    A list or range that shares one unit ("1, 3 and 10 million cells/kg", "1 × 10(6) to
    1 × 10(7) cells") is one mention from its smallest to its largest figure; doses that
    each carry their own unit are separate mentions.
    """
    mentions: list[DoseMention] = []
    pos = 0
    while True:
        m = _QUANTITY.search(text, pos)
        if m is None:
            break
        if not m.group().strip():
            pos = m.end() + 1
            continue
        first = _read_quantity(m)
        if first is None:
            pos = m.end()
            continue
        group = [first]
        end = m.end()
        # Join quantities written as a list or range ("1 × 10(6) to 1 × 10(7)").
        while True:
            nxt = _next_quantity(text, end)
            if nxt is None:
                break
            q = _read_quantity(nxt)
            if q is None or (not q.has_multiplier and first.has_multiplier):
                break
            group.append(q)
            end = nxt.end()
        mention = _as_mention(text, group, end)
        if mention is not None:
            mentions.append(mention)
            pos = mention.end
        else:
            pos = m.end() if m.end() > m.start() else m.start() + 1
    return mentions


def _as_mention(text: str, group: list[_Quantity], end: int) -> DoseMention | None:
    """Apply the unit grammar and the filters to a list of quantities ending at ``end``."""
    start = group[0].start
    unit_m = _UNIT.match(text, end)
    assert unit_m is not None  # every part of _UNIT is optional
    has_cells = unit_m.group("cells") is not None
    per_kg = unit_m.group("perkg") is not None
    per_person = unit_m.group("perperson") is not None
    unit_end = unit_m.end() if (has_cells or per_kg or per_person) else end
    if not (has_cells or per_kg or per_person) and not all(q.has_multiplier for q in group):
        return None  # a plain number with no cell unit is a count, an age, a year ...
    if has_cells and not per_kg and _CONCENTRATION.match(text, unit_m.end("cells")):
        return None
    # Doses of other cells (CD34+, mononuclear) are kept but flagged: a study of those cells
    # states its dose, while beside MSCs they must not be read as the MSC dose.
    if has_cells:
        non_msc = bool(_NON_MSC_CELLS.search(unit_m.group("cells")))
    else:
        non_msc = _names_other_cells_before(text, start) or bool(
            _OTHER_CELLS_AFTER.match(text, unit_end)
        )
    if not (has_cells or per_kg or per_person):
        if _NOT_CELLS.match(text, end):
            return None
        s0, s1 = _sentence_bounds(text, start, end)
        if not _DOSE_CUE.search(text, s0, s1):
            return None
    if per_kg and not has_cells and not all(q.has_multiplier for q in group):
        # "5 mg/kg" never gets here (mg is not a cell noun), but "5/kg" alone is no dose.
        return None
    unit: DoseUnit = "cells/kg" if per_kg else "cells"
    values: list[Decimal] = []
    for q in group:
        if not all(_plausible(v, unit) for v in q.values):
            return None
        values.extend(q.values)
    if any(q.lost_superscript for q in group) and not (has_cells or per_kg):
        return None  # "× 106" with no cell unit is too weak to reread as 10^6
    s0, s1 = _sentence_bounds(text, start, unit_end)
    total = _detect_total(text, start, unit_end, s0, s1)
    per_admin = _detect_per_admin(text, start, unit_end, s0, s1)
    per_infusion: bool | None = False if total else (True if per_admin else None)
    return DoseMention(
        low=float(min(values)),
        high=float(max(values)),
        unit=unit,
        start=start,
        end=unit_end,
        text=text[start:unit_end],
        per_infusion=per_infusion,
        total=total,
        non_msc=non_msc,
    )


def summarize(
    mentions: Sequence[DoseMention], n_infusions: int | None = None
) -> tuple[float | None, float | None, str]:
    """The codebook's ``(dose_low, dose_high, dose_unit)`` from a record's mentions.

    The codebook's dose is cells per administration, so cumulative totals are set aside
    whenever a per-administration figure exists; a total alone is used only when the record
    gives one administration (``n_infusions`` 1 or unknown), since dividing it would be a
    guess. When the text gives both per-kg and absolute figures, per-kg wins: it is how
    trials prescribe, and the absolute figure is usually derived ("~7 × 10(7) cells"). Low
    and high are the smallest and largest figures of the chosen unit (dose levels, ranges).
    Doses of other cells named beside the MSCs (``non_msc``) count only when nothing else does.
    With no usable mention the result is ``(None, None, "not_stated")``.

    >>> summarize([])
    (None, None, 'not_stated')
    """
    pool = [m for m in mentions if not m.non_msc] or list(mentions)
    candidates = [m for m in pool if not m.total]
    if not candidates and (n_infusions is None or n_infusions == 1):
        candidates = pool
    if not candidates:
        return None, None, "not_stated"
    unit: DoseUnit = "cells/kg" if any(m.unit == "cells/kg" for m in candidates) else "cells"
    chosen = [m for m in candidates if m.unit == unit]
    return min(m.low for m in chosen), max(m.high for m in chosen), unit
