"""Generate the scaled screening corpus: 664 MSC clinical records whose gold yields 117.

Usage::

    .venv/bin/python corpora/scaled/generate.py OUT_DIR [--records N] [--seed S]

writes ``OUT_DIR/scaled_a.xml`` and ``OUT_DIR/scaled_b.xml`` (PubMed XML; ``scaled_b``
repeats ``DUPLICATES`` records of ``scaled_a``, so deduplication is exercised) and
``OUT_DIR/gold.csv`` (pmid, include, exclude_reason, and the values a perfect extractor
would read). From Python: ``generate(out_dir)`` returns the paths, ``gold_records()`` the
records with their gold, ``gold_extraction(gold_row)`` an ``Extraction`` built from gold.

The mix copies the funnel of Barmada, Prodromos et al. (2023): 664 articles met the
preliminary criteria (human clinical studies of MSCs) and 117 were included after the
eligibility criteria. Every record is our own templated text, with several phrasings per
reason, written so that the reason is unambiguous; the corpus checks the review mechanism
(counts, order, funnel, outputs), not extraction accuracy on real abstracts. ``--records``
scales the same mix up (the benchmark uses 20,000).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from msc_mine.codebook import Extraction, Value
from msc_mine.pubmed_writer import records_to_pubmed_xml
from msc_mine.records import AbstractSection, MeshHeading, Record

# Gold breakdown of the 664 (README.md repeats it). Sums to 664; 117 included.
BREAKDOWN: dict[str, int] = {
    "included": 117,
    "hsc": 48,
    "genetically_modified": 21,
    "combined_intervention": 96,
    "non_iv_route": 265,
    "no_safety_reporting": 117,
}
TOTAL = sum(BREAKDOWN.values())
DUPLICATES = 40  # records of file A repeated in file B
FIRST_PMID = 91000001  # clear of real PMIDs in practice and of the gold corpora's 90000000s
SEED = 20230601

DISEASES = [
    ("multiple sclerosis", "Multiple Sclerosis"),
    ("rheumatoid arthritis", "Arthritis, Rheumatoid"),
    ("amyotrophic lateral sclerosis", "Amyotrophic Lateral Sclerosis"),
    ("ankylosing spondylitis", "Spondylitis, Ankylosing"),
    ("frailty", "Frailty"),
    ("autism spectrum disorder", "Autism Spectrum Disorder"),
    ("cerebral palsy", "Cerebral Palsy"),
    ("type 1 diabetes", "Diabetes Mellitus, Type 1"),
    ("type 2 diabetes", "Diabetes Mellitus, Type 2"),
    ("idiopathic pulmonary fibrosis", "Idiopathic Pulmonary Fibrosis"),
    ("chronic obstructive pulmonary disease", "Pulmonary Disease, Chronic Obstructive"),
    ("Crohn's disease", "Crohn Disease"),
    ("ulcerative colitis", "Colitis, Ulcerative"),
    ("systemic lupus erythematosus", "Lupus Erythematosus, Systemic"),
    ("Parkinson's disease", "Parkinson Disease"),
    ("systemic sclerosis", "Scleroderma, Systemic"),
    ("spinal cord injury", "Spinal Cord Injuries"),
    ("traumatic brain injury", "Brain Injuries, Traumatic"),
]
CELLS = [
    ("bone marrow-derived mesenchymal stem cells (BM-MSCs)", "BM-MSCs", "bone_marrow"),
    ("umbilical cord-derived mesenchymal stromal cells (UC-MSCs)", "UC-MSCs", "umbilical_cord"),
    ("adipose-derived mesenchymal stem cells (AD-MSCs)", "AD-MSCs", "adipose"),
    ("allogeneic mesenchymal stromal cells (MSCs)", "MSCs", "not_stated"),
]
DESIGNS = [
    ("a phase 1 open-label trial", "non_randomized_trial", "1"),
    ("a randomized, placebo-controlled phase 2 trial", "rct", "2"),
    ("a prospective single-arm phase 1/2 study", "non_randomized_trial", "1/2"),
]
IV_ROUTES = [
    "received {dose} cells/kg of {short} by intravenous infusion",
    "were given a single intravenous infusion of {short} at {dose} cells/kg",
    "received two intravenous infusions of {short} ({dose} cells/kg each), four weeks apart",
]
OTHER_ROUTES = [
    ("received {dose} cells of {short} by intrathecal injection", "intrathecal"),
    (
        "were treated with intramuscular injections of {short} ({dose} cells in total)",
        "intramuscular",
    ),
    ("received {short} ({dose} cells) by intra-arterial infusion", "intra_arterial"),
    ("received {short} ({dose} cells) by local injection into the lesion", "local_injection"),
]
SAFE = [
    "No serious adverse events were observed during follow-up.",
    "No treatment-related serious adverse events occurred; {n_fever} patients had transient fever.",
    "There were no serious adverse events, and no patient withdrew because of side effects.",
]
EFFICACY_ONLY = [
    "Disability scores improved at 6 months compared with baseline.",
    "Clinical scores were lower at 12 months than at baseline, with a durable response.",
    "Functional outcomes improved at week 24 and the improvement persisted at one year.",
]
HSC_ARMS = [
    ("autologous CD34+ haematopoietic stem cells", "CD34+ cells"),
    ("autologous bone marrow mononuclear cells (BM-MNCs)", "BM-MNCs"),
    ("autologous peripheral blood haematopoietic stem cells", "haematopoietic stem cells"),
]
GM_PHRASES = [
    "{short} genetically modified to overexpress interleukin-10",
    "{short} transduced with a lentiviral vector encoding hepatocyte growth factor",
    "gene-modified {short} engineered to secrete a neurotrophic factor",
]
COMBINED_PHRASES = [
    ("{short} seeded on a collagen scaffold", "collagen scaffold"),
    ("{short} in combination with surgical debridement", "surgical debridement"),
    ("{short} combined with high-dose cyclophosphamide", "cyclophosphamide"),
]


@dataclass
class Gold:
    """A generated record's gold decision and the values a perfect extractor would read."""

    pmid: str
    include: str
    exclude_reason: str
    condition: str
    route: str
    cell_source: str
    sae_status: str
    study_design: str
    cue: str  # the cue family the record's reason rests on ("" for included)
    cue_sentence: str
    method_sentence: str
    safety_sentence: str


def _reasons(total: int) -> list[str]:
    """The mix of reasons for ``total`` records, in the proportions of ``BREAKDOWN``."""
    if total == TOTAL:
        counts = dict(BREAKDOWN)
    else:
        counts = {k: v * total // TOTAL for k, v in BREAKDOWN.items()}
        counts["non_iv_route"] += total - sum(counts.values())
    return [reason for reason, n in counts.items() for _ in range(n)]


def gold_records(total: int = TOTAL, seed: int = SEED) -> Iterator[tuple[Record, Gold]]:
    """Yield (record, gold) pairs: our own templated abstracts, deterministic for a seed."""
    rng = random.Random(seed)
    reasons = _reasons(total)
    rng.shuffle(reasons)
    for i, reason in enumerate(reasons):
        yield _make(FIRST_PMID + i, reason, rng)


def _make(pmid_int: int, reason: str, rng: random.Random) -> tuple[Record, Gold]:
    pmid = str(pmid_int)
    disease, mesh = rng.choice(DISEASES)
    long_cells, short, source = rng.choice(CELLS)
    design, design_code, _ = rng.choice(DESIGNS)
    n = rng.randint(8, 60)
    dose = f"{rng.choice([1, 2, 5])} x 10(6)"
    route, cue, cue_sentence = "intravenous", "", ""
    subject = long_cells
    if reason == "hsc":
        subject, short = rng.choice(HSC_ARMS)
        source = "bone_marrow"
        cue = "hsc"
    elif reason == "genetically_modified":
        subject = rng.choice(GM_PHRASES).format(short=long_cells)
        cue = "genetically_modified"
    elif reason == "combined_intervention":
        template, _term = rng.choice(COMBINED_PHRASES)
        subject = template.format(short=long_cells)
        cue = "combined_intervention"
    therapy_mesh = (
        "Hematopoietic Stem Cell Transplantation"
        if reason == "hsc"
        else "Mesenchymal Stem Cell Transplantation"
    )
    title = f"{subject[0].upper()}{subject[1:]} in patients with {disease}: {design}"
    # Records that report no safety outcome must not mention safety at all: the review's
    # rules send any safety wording without an SAE statement to the manual-check list.
    aim = "efficacy" if reason == "no_safety_reporting" else "safety and efficacy"
    background = f"Cell therapy is being tested in {disease}. We assessed the {aim} of {subject}."
    if reason == "non_iv_route":
        template, route = rng.choice(OTHER_ROUTES)
        method = f"In {design}, {n} patients {template.format(dose=dose, short=short)}."
    else:
        method = (
            f"In {design}, {n} patients "
            + rng.choice(IV_ROUTES).format(dose=dose, short=short)
            + "."
        )
    if cue:
        cue_sentence = background.split(". ")[1]
    if reason == "no_safety_reporting":
        safety, sae = rng.choice(EFFICACY_ONLY), "not_stated"
    else:
        safety = rng.choice(SAFE).format(n_fever=rng.choice(["two", "three", "four"]))
        sae = "none_reported"
    conclusion = f"These results support further trials of this approach in {disease}."
    record = Record(
        pmid=pmid,
        doi=f"10.5555/scaled.{pmid}",
        title=title + ".",
        abstract=[
            AbstractSection("BACKGROUND", background, "BACKGROUND"),
            AbstractSection("METHODS", method, "METHODS"),
            AbstractSection("RESULTS", safety, "RESULTS"),
            AbstractSection("CONCLUSIONS", conclusion, "CONCLUSIONS"),
        ],
        journal="Journal of Scaled Cell Therapy",
        year=2005 + pmid_int % 17,
        authors=[f"Author{pmid_int % 97:02d} A", "Writer B"],
        publication_types=["Clinical Trial", "Journal Article"],
        mesh=[MeshHeading("Humans"), MeshHeading(therapy_mesh), MeshHeading(mesh, major=True)],
        language="eng",
        revised=f"{2022}-0{1 + pmid_int % 9}-1{pmid_int % 10}",
        source_ids=[f"pubmed:{pmid}"],
    )
    include = "yes" if reason == "included" else "no"
    gold = Gold(
        pmid=pmid,
        include=include,
        exclude_reason="" if include == "yes" else reason,
        condition=_lexicon_name(disease),
        route=route,
        cell_source=source,
        sae_status=sae,
        study_design=design_code,
        cue=cue,
        cue_sentence=cue_sentence,
        method_sentence=method,
        safety_sentence=safety,
    )
    return record, gold


def _lexicon_name(disease: str) -> str:
    return {"Crohn's disease": "crohn disease", "Parkinson's disease": "parkinson disease"}.get(
        disease, disease
    )


def gold_extraction(g: Gold) -> Extraction:
    """The Extraction a perfect extractor would return for a generated record."""
    cues: dict[str, Value[list[str]]] = {
        "human_clinical": Value(["patients"], g.method_sentence),
    }
    if g.cue != "hsc":
        cues["msc"] = Value(["MSCs"], g.method_sentence)
    if g.cue:
        cues[g.cue] = Value([g.cue], g.cue_sentence)
    return Extraction(
        pmid=g.pmid,
        conditions=Value([g.condition], g.method_sentence),
        study_design=Value(g.study_design, g.method_sentence),
        route=Value([g.route], g.method_sentence),
        cell_source=Value(
            [g.cell_source], g.method_sentence if g.cell_source != "not_stated" else ""
        ),
        sae_status=Value(g.sae_status, g.safety_sentence if g.sae_status != "not_stated" else ""),
        cues=cues,
    )


GOLD_COLUMNS = (
    "pmid",
    "include",
    "exclude_reason",
    "condition",
    "route",
    "cell_source",
    "sae_status",
    "study_design",
    "cue",
    "cue_sentence",
    "method_sentence",
    "safety_sentence",
)


def generate(
    out_dir: str | Path, total: int = TOTAL, seed: int = SEED, duplicates: int = DUPLICATES
) -> tuple[Path, Path, Path]:
    """Write the two XML files and gold.csv into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pairs = list(gold_records(total, seed))
    half = len(pairs) * 3 // 5
    a_records = [r for r, _ in pairs[:half]]
    b_records = [r for r, _ in pairs[half:]] + a_records[:duplicates]
    a, b, gold = out / "scaled_a.xml", out / "scaled_b.xml", out / "gold.csv"
    a.write_bytes(records_to_pubmed_xml(a_records))
    b.write_bytes(records_to_pubmed_xml(b_records))
    with gold.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(GOLD_COLUMNS)
        for _, g in pairs:
            writer.writerow([getattr(g, c) for c in GOLD_COLUMNS])
    return a, b, gold


def read_gold(path: str | Path) -> dict[str, Gold]:
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return {row["pmid"]: Gold(**row) for row in csv.DictReader(fh)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--records", type=int, default=TOTAL)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--duplicates", type=int, default=DUPLICATES)
    args = parser.parse_args(argv)
    paths = generate(args.out_dir, args.records, args.seed, args.duplicates)
    print(" ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
