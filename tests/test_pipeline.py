"""Pipeline files: loading, ordering and the errors a review author sees."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import msc_mine.pipeline as pipeline_mod
from msc_mine.codebook import EXCLUDE_REASONS
from msc_mine.errors import UsageError
from msc_mine.pipeline import Combinator, Leaf, disease_names, load_pipeline

REPO = Path(__file__).resolve().parent.parent
IV = REPO / "pipelines" / "msc_iv_safety.toml"

MINIMAL = """
[review]
id = "t"
[search]
msc_query = "MSC[tiab]"
[[search.queries]]
id = "ms"
disease = "multiple sclerosis"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return path


def with_rule(rule: str) -> str:
    return MINIMAL + "\n[[rule]]\n" + rule


GOOD_RULE = """id = "r1"
stage = "eligibility"
exclude_reason = "non_iv_route"
reason = "not IV"
when = { field = "route", not_contains = "intravenous" }
"""


def test_iv_review_searches_every_disease_of_the_review() -> None:
    p = load_pipeline(IV)
    assert p.id == "msc_iv_safety"
    assert "36043768" in p.citation
    diseases = {q.disease for q in p.search.queries if q.disease}
    # The 17 disease searches of Barmada et al., diabetes split into its two types.
    assert diseases == {
        "multiple sclerosis",
        "rheumatoid arthritis",
        "amyotrophic lateral sclerosis",
        "ankylosing spondylitis",
        "frailty",
        "autism spectrum disorder",
        "cerebral palsy",
        "type 1 diabetes",
        "type 2 diabetes",
        "idiopathic pulmonary fibrosis",
        "chronic obstructive pulmonary disease",
        "crohn disease",
        "ulcerative colitis",
        "systemic lupus erythematosus",
        "parkinson disease",
        "systemic sclerosis",
        "spinal cord injury",
        "traumatic brain injury",
    }
    literal = [q for q in p.search.queries if q.query]
    assert [q.id for q in literal] == ["general_adverse_events"]
    assert (p.search.mindate, p.search.maxdate, p.search.datetype) == (
        "2000/01/01",
        "2021/12/31",
        "pdat",
    )
    assert p.search.table["msc_query"] == p.search.msc_query
    assert len(p.sha256) == 64


def test_every_disease_in_the_lexicon_is_flagged_for_the_review() -> None:
    p = load_pipeline(IV)
    assert {q.disease for q in p.search.queries if q.disease} <= disease_names()


def test_rules_are_ordered_by_stage_then_codebook_reason() -> None:
    p = load_pipeline(IV)
    keys = [(p.stages.index(r.stage), EXCLUDE_REASONS.index(r.exclude_reason)) for r in p.rules]
    assert keys == sorted(keys)
    assert [r.order for r in p.rules] == list(range(len(p.rules)))
    # The review has a rule for every codebook reason, so none is silently unchecked.
    assert {r.exclude_reason for r in p.rules} == set(EXCLUDE_REASONS)


def test_file_order_breaks_ties_within_a_reason(tmp_path: Path) -> None:
    text = (
        with_rule(GOOD_RULE)
        + """
[[rule]]
id = "r0"
stage = "eligibility"
exclude_reason = "hsc"
reason = "hsc"
when = { field = "cues.hsc", present = true }
[[rule]]
id = "r2"
stage = "eligibility"
exclude_reason = "non_iv_route"
decision = "maybe"
reason = "unclear"
when = { field = "route", present = false }
[[rule]]
id = "p1"
stage = "preliminary"
exclude_reason = "other"
reason = "x"
when = { field = "cues.msc", present = false }
"""
    )
    p = load_pipeline(write(tmp_path, text))
    assert [r.id for r in p.rules] == ["p1", "r0", "r1", "r2"]


def test_condition_tree_is_parsed_into_data(tmp_path: Path) -> None:
    rule = GOOD_RULE.replace(
        'when = { field = "route", not_contains = "intravenous" }',
        'when = { all = [ { field = "route", present = true }, '
        '{ not = { field = "route", contains_any = ["intravenous", "intra_arterial"] } } ] }',
    )
    p = load_pipeline(write(tmp_path, with_rule(rule)))
    when = p.rules[0].when
    assert isinstance(when, Combinator) and when.kind == "all"
    first, second = when.children
    assert first == Leaf("route", "present", True)
    assert isinstance(second, Combinator) and second.kind == "not"
    assert second.children[0] == Leaf("route", "contains_any", ("intravenous", "intra_arterial"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('exclude_reason = "non_iv_route"', 'exclude_reason = "wrong_route"'),
            r"rule 'r1': unknown exclude_reason 'wrong_route'",
        ),
        (('stage = "eligibility"', 'stage = "final"'), r"rule 'r1': stage 'final' is not one"),
        (
            ('reason = "not IV"', 'reason = "not IV"\ncolour = "red"'),
            r"rule 'r1': unknown field\(s\) colour",
        ),
        (
            ('not_contains = "intravenous"', 'lacks = "intravenous"'),
            r"rule 'r1': when: unknown operator 'lacks' on field 'route'",
        ),
        (('field = "route"', 'field = "routes"'), r"rule 'r1': when: unknown field 'routes'"),
        (
            ('not_contains = "intravenous"', 'present = "yes"'),
            r"route present: expected true or false",
        ),
        (('not_contains = "intravenous"', 'gt = "ten"'), r"route gt: expected a number"),
        (('not_contains = "intravenous"', 'matches = "(unclosed"'), r"bad regular expression"),
        (
            ('not_contains = "intravenous"', 'not_contains = "iv", equals = "x"'),
            r"needs exactly one operator",
        ),
        (
            ('reason = "not IV"', 'decision = "include"\nreason = "not IV"'),
            r"decision must be 'exclude' or 'maybe'",
        ),
        (('reason = "not IV"', 'reason = ""'), r"rule 'r1': reason: missing or empty"),
        (
            ('when = { field = "route", not_contains = "intravenous" }', "when = { any = [] }"),
            r"'any' needs a non-empty list",
        ),
        (
            (
                'when = { field = "route", not_contains = "intravenous" }',
                'when = { not = { field = "route", present = true }, field = "x" }',
            ),
            r"'not' must stand alone",
        ),
        (
            ('when = { field = "route", not_contains = "intravenous" }', ""),
            r"missing 'when' condition",
        ),
        (('field = "route"', 'field = "cues.Bad Family"'), r"unknown field 'cues.Bad Family'"),
    ],
)
def test_bad_rules_name_file_rule_and_problem(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in GOOD_RULE
    path = write(tmp_path, with_rule(GOOD_RULE.replace(old, new)))
    with pytest.raises(UsageError, match=message) as info:
        load_pipeline(path)
    assert str(path) in str(info.value)


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, with_rule(GOOD_RULE) + "\n[[rule]]\n" + GOOD_RULE)
    with pytest.raises(UsageError, match="rule 'r1': duplicate rule id"):
        load_pipeline(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[review\nid=1", r"not valid TOML"),
        (
            MINIMAL.replace('disease = "multiple sclerosis"', 'disease = "dragon pox"'),
            r"disease 'dragon pox' is not in lexicons/diseases.toml",
        ),
        (
            MINIMAL.replace(
                'disease = "multiple sclerosis"', 'disease = "multiple sclerosis"\nquery = "x"'
            ),
            r"exactly one of 'disease' or 'query'",
        ),
        (
            MINIMAL.replace(
                'msc_query = "MSC[tiab]"', 'msc_query = "MSC[tiab]"\nmindate = "01-01-2000"'
            ),
            r"mindate must look like YYYY/MM/DD",
        ),
        (
            MINIMAL.replace('[review]\nid = "t"', '[review]\nid = "t"\nauthor = "me"'),
            r"\[review\]: unknown field\(s\) author",
        ),
        (MINIMAL + "\n[extra]\nx = 1\n", r"unknown top-level table\(s\): extra"),
        (MINIMAL.replace('id = "t"', 'id = "t/../x"'), r"may hold only letters"),
        ("[search]\n", r"\[review\]: missing"),
    ],
)
def test_bad_files_are_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_pipeline(write(tmp_path, text))


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=re.escape(str(tmp_path / "nope.toml"))):
        load_pipeline(tmp_path / "nope.toml")


def test_module_docstring_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testmod(pipeline_mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
