"""Study design and phase: publication types first, then MeSH, then text cues."""

from __future__ import annotations

import pytest

from msc_mine.codebook import PHASES, STUDY_DESIGNS
from msc_mine.extract.design import classify_design, classify_phase

HUMAN_TRIAL = "Twenty patients were enrolled and received MSCs."

# (publication types, MeSH descriptors, title, abstract, expected design, evidence contains)
DESIGNS: list[tuple[list[str], list[str], str, str, str, str]] = [
    # publication types decide
    (["Journal Article", "Review"], [], "MSCs in lupus", "We summarise trials.", "review",
     "Review"),
    (["Systematic Review"], ["Humans"], "MSC safety", HUMAN_TRIAL, "review", "Systematic"),
    (["Meta-Analysis", "Journal Article"], [], "Pooled MSC trials", "", "review", "Meta"),
    (["Randomized Controlled Trial"], ["Humans"], "MSCs for ARDS", HUMAN_TRIAL, "rct",
     "Randomized Controlled Trial"),
    (["Clinical Trial Protocol", "Randomized Controlled Trial"], [], "MSCs for COVID-19",
     "Patients will be randomized.", "protocol", "Protocol"),
    (["Case Reports"], ["Humans"], "MSCs for a child with GVHD", "", "case_report", "Case"),
    (["Case Reports", "Review"], [], "A case and review of the literature", "", "case_report",
     "Case Reports"),
    (["Observational Study"], ["Humans"], "Registry of MSC use", "", "cohort", "Observational"),
    (["Controlled Clinical Trial"], [], "MSCs vs standard care", HUMAN_TRIAL,
     "non_randomized_trial", "Controlled"),
    # MeSH decides when the publication types do not
    (["Journal Article"], ["Animals", "Mice", "Colitis"], "MSCs in colitis", "", "animal",
     "Mice"),
    (["Journal Article"], ["Animals", "Rats, Sprague-Dawley"], "BM-MSCs after stroke", "",
     "animal", "Animals"),
    (["Journal Article"], ["In Vitro Techniques", "Cells, Cultured"], "MSC secretome", "",
     "in_vitro", "In Vitro"),
    (["Journal Article"], ["Animals", "Humans"], "MSCs in MS", HUMAN_TRIAL, "other", ""),
    # text cues
    (["Journal Article"], [], "Design of a trial of MSCs",
     "This study protocol describes a trial. We will enrol 40 patients.", "protocol",
     "study protocol"),
    (["Journal Article"], [], "MSCs in Crohn's disease: a systematic review",
     "We searched PubMed.", "review", "systematic review"),
    (["Journal Article"], [], "MSCs for GVHD",
     "We describe a case of steroid-refractory GVHD treated with MSCs.", "case_report",
     "describe a case"),
    (["Journal Article"], [], "MSCs for lupus nephritis",
     "A 34-year-old woman received UC-MSCs.", "case_report", "34-year-old"),
    (["Journal Article"], [], "MSCs improve colitis",
     "MSCs were injected in mice with DSS colitis.", "animal", "mice"),
    (["Journal Article"], [], "MSCs after spinal cord injury",
     "We used a rat model of contusion injury.", "animal", "rat model"),
    (["Journal Article"], [], "MSC immunomodulation",
     "MSCs suppressed T-cell proliferation in vitro.", "in_vitro", "in vitro"),
    (["Journal Article"], [], "UC-MSCs in ARDS",
     "Patients were randomized to MSCs or placebo.", "rct", "randomized"),
    (["Journal Article"], [], "MSCs in ALS",
     "In this open-label, single-arm study, 12 patients received MSCs.",
     "non_randomized_trial", "single-arm"),
    (["Journal Article"], [], "MSCs in knee osteoarthritis",
     "This non-randomized study treated 30 patients.", "non_randomized_trial",
     "non-randomized"),
    (["Journal Article"], [], "Outcomes after MSC infusion",
     "We retrospectively reviewed 80 patients given MSCs and 80 matched controls.", "cohort",
     "retrospectively"),
    # a look back without a comparison group is a case series
    (["Journal Article"], [], "Outcomes after MSC infusion",
     "We retrospectively reviewed 80 patients given MSCs.", "case_series", "retrospectively"),
    (["Journal Article"], [], "Stromal cells for graft-versus-host disease",
     "Our retrospective audit spans every adult given MSCs for graft-versus-host disease "
     "in our unit since 2015. Eleven adults were included.", "case_series", "audit spans"),
    (["Journal Article"], [], "MSCs in lupus",
     "This retrospective study compares 40 MSC-treated patients with 40 untreated ones.",
     "cohort", "compares"),
    (["Journal Article"], [], "MSCs in lupus",
     "We followed a retrospective cohort of 300 adults given MSCs.", "cohort",
     "retrospective cohort"),
    # the authors' "case series" outranks "retrospective"
    (["Journal Article"], [], "Adipose MSCs for fistulas: a retrospective two-centre case series",
     "Fourteen patients were treated.", "case_series", "case series"),
    # the treating team's own patients, no trial or cohort cue
    (["Journal Article"], ["Humans"], "Monthly MSC infusions for lupus in adolescents",
     "Lupus nephritis is hard to treat. We treated 14 adolescents with monthly infusions. "
     "We treated 9 children with weekly MSC doses.", "case_series", "treated 9 children"),
    (["Journal Article"], [], "MSCs in diabetic foot",
     "We report five patients treated with MSCs.", "case_series", "report five patients"),
    (["Journal Article"], [], "Cell therapy today", "MSCs are widely studied.", "other", ""),
    # humans overrule background animal or in-vitro cues
    (["Journal Article"], [], "MSCs in MS",
     "Earlier work in mice was promising. Twenty patients were enrolled in this "
     "open-label study.", "non_randomized_trial", "open-label"),
    (["Journal Article"], [], "MSCs for COPD",
     "MSCs were characterised in vitro. 30 patients were randomized to MSCs or placebo.",
     "rct", "randomized"),
    # a recommended design is not this study's design
    (["Clinical Trial, Phase I"], ["Humans"], "MSCs in autism",
     "Twelve children were treated. These results support a randomized trial.",
     "non_randomized_trial", "Clinical Trial, Phase I"),
    (["Journal Article"], [], "MSCs in ALS",
     "In this open-label study 12 patients were treated. A randomized trial is needed.",
     "non_randomized_trial", "open-label"),
    # ... nor is one planned, running or justified elsewhere
    (["Clinical Trial"], ["Humans"], "BM-MSCs in ALS: an open pilot",
     "Ten adults received MSCs. A placebo-controlled, randomised study is now under way.",
     "non_randomized_trial", "Clinical Trial"),
    (["Clinical Trial, Phase I"], ["Humans"], "UC-MSCs in lupus",
     "Eight women were infused. We are now conducting a double-blind randomized trial.",
     "non_randomized_trial", "Clinical Trial, Phase I"),
    (["Clinical Trial, Phase I"], ["Humans"], "UC-MSCs in lupus",
     "Eight women were infused. A randomised phase II study will compare two doses.",
     "non_randomized_trial", "Clinical Trial, Phase I"),
    (["Journal Article"], [], "MSCs in Crohn's disease",
     "In this single-arm study 20 adults were infused. A phase 2 randomized study is "
     "currently recruiting.", "non_randomized_trial", "single-arm"),
    (["Journal Article"], [], "MSCs in stroke",
     "Sixteen patients were infused in an open-label study. Randomized testing of the top "
     "dose is justified, and a randomized trial is in progress.", "non_randomized_trial",
     "open-label"),
    # the study's own randomization still counts beside a planned trial
    (["Journal Article"], [], "MSCs in stroke",
     "Forty adults were randomly assigned to cells or sham. A larger randomized trial is "
     "planned.", "rct", "randomly assigned"),
    # "we reviewed N patients" is a case series, not a literature review
    (["Multicenter Study"], [], "MSCs for aGVHD",
     "We reviewed 25 consecutive patients treated with MSCs at four centres.", "case_series",
     "reviewed 25"),
    # patients who only donated blood do not make a co-culture study clinical
    (["Comparative Study"], [], "MSCs and lupus T cells",
     "Blood from 20 patients with lupus was drawn. T cells were co-cultured with MSCs.",
     "in_vitro", "co-cultured"),
    # a clinical-trial publication type only refines to rct or protocol
    (["Clinical Trial, Phase I"], ["Humans"], "MSCs in MS",
     "Patients were randomised to early or late infusion.", "rct", "randomised"),
    (["Clinical Trial"], ["Humans"], "MSCs in MS", "Ten patients were treated in vitro.",
     "non_randomized_trial", "Clinical Trial"),
]  # fmt: skip


@pytest.mark.parametrize(("pubtypes", "mesh", "title", "abstract", "design", "evidence"), DESIGNS)
def test_design(
    pubtypes: list[str], mesh: list[str], title: str, abstract: str, design: str, evidence: str
) -> None:
    value, ev = classify_design(pubtypes, mesh, title, abstract)
    assert value == design
    assert value in STUDY_DESIGNS
    assert evidence.lower() in ev.lower()
    if value != "other":
        assert ev


def test_design_evidence_is_a_whole_sentence() -> None:
    abstract = "Background matters. Patients were randomized to MSCs or placebo. Fever was rare."
    _, ev = classify_design([], [], "A trial", abstract)
    assert ev == "Patients were randomized to MSCs or placebo."


PHASES_CASES: list[tuple[list[str], str, str]] = [
    (["Clinical Trial, Phase I"], "", "1"),
    (["Clinical Trial, Phase II"], "", "2"),
    (["Clinical Trial, Phase III"], "", "3"),
    (["Clinical Trial, Phase IV"], "", "4"),
    (["Clinical Trial, Phase I", "Clinical Trial, Phase II"], "", "1/2"),
    (["Clinical Trial, Phase II", "Clinical Trial, Phase III"], "", "2/3"),
    ([], "A phase I/II trial of MSCs.", "1/2"),
    ([], "A phase 1/2a trial of MSCs in lupus.", "1/2"),
    ([], "This phase IIb study enrolled 60 patients.", "2"),
    ([], "A Phase I-II study of UC-MSCs.", "1/2"),
    ([], "A phase 2/3 randomized trial.", "2/3"),
    ([], "A phase Ib study.", "1"),
    ([], "In this phase 3 trial, patients were randomized.", "3"),
    ([], "A phase I and II trial of MSCs.", "1/2"),
    ([], "phase II trial of BM-MSCs", "2"),
    ([], "Phase 1 / Phase 2 study of MSCs.", "1/2"),
    ([], "During the acute phase of stroke, MSCs were infused.", ""),
    ([], "In the maintenance phase, patients received cells.", ""),
    ([], "A phase 0 microdosing study.", ""),
    ([], "Based on a previous phase I trial, we conducted a phase II trial.", "2"),
    ([], "A larger phase III trial is planned after this pilot.", ""),
    ([], "No phase is named here.", ""),
    (["Clinical Trial"], "An open-label phase I trial.", "1"),
    (["Clinical Trial, Phase I"], "A phase II extension followed.", "1"),
]


@pytest.mark.parametrize(("pubtypes", "text", "expected"), PHASES_CASES)
def test_phase(pubtypes: list[str], text: str, expected: str) -> None:
    value, ev = classify_phase(pubtypes, text)
    assert value == expected
    assert value == "" or value in PHASES
    assert bool(ev) == bool(value)


def test_phase_evidence_is_the_sentence() -> None:
    text = "MSCs are promising. This phase IIb study enrolled 60 patients. Fever was rare."
    assert classify_phase([], text) == ("2", "This phase IIb study enrolled 60 patients.")


def test_module_examples_run() -> None:
    # The module docstring's session is documentation users copy: keep it true.
    import doctest

    import msc_mine.extract.design as module

    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
