"""Pooled safety estimates: the proportion of patients with each adverse event.

Example::

    >>> from msc_mine.pool import random_effects, StudyCount, pool_category
    >>> r = random_effects([-1.2, -0.4, -0.9], [0.10, 0.05, 0.20], "dl")
    >>> round(r.estimate, 4), r.k
    (-0.7849, 3)
    >>> studies = [StudyCount("1", "Smith AB 2020 (1)", 2, 20),
    ...            StudyCount("2", "Lee C 2021 (2)", 0, 15)]
    >>> row = pool_category("fever", studies, "reml")
    >>> row.k, row.n_patients, row.events, 0 < row.estimate < 0.2
    (2, 35, 2, True)

Method: each study's proportion is put on the logit scale (``yi = log(x / (n - x))``,
``vi = 1/x + 1/(n - x)``; metafor's ``escalc(measure="PLO")``) and the studies are combined
with a random-effects model, whose between-study variance tau^2 is estimated by
DerSimonian-Laird (method of moments) or by restricted maximum likelihood (REML). The
pooled logit and its 95% Wald interval are back-transformed to proportions.

Libraries, not hand-written estimators: DerSimonian-Laird comes from statsmodels'
``combine_effects(method_re="dl")`` (its tau^2 truncated at 0, as DL defines it and
statsmodels 0.15 does not); statsmodels has no REML for meta-analysis (its
choices are DL and Paule-Mandel, and ``MixedLM`` cannot fix each study's sampling
variance), so REML comes from PyMARE's ``VarianceBasedLikelihoodEstimator(method="REML")``
(MIT, maintained by the NiMARE group, numpy/scipy only), asked for the plain Wald
standard error (``small_sample_correction="wald"``: its default, Knapp-Hartung, would not
match metafor's default). I^2 is metafor's ``100 * tau^2 / (tau^2 + s^2)`` with s^2 the
"typical" within-study variance: for DL this equals ``(Q - df) / Q``; for REML it is what
metafor reports. All of it is checked against metafor's published BCG vaccine results.

Zero events: a study with 0 (or n) events has no finite logit, so 0.5 is added to its
events and non-events (metafor's default ``add=1/2, to="only0"``); studies with 0 < x < n
are left alone. The exact alternative is per study: each study's Clopper-Pearson 95%
interval (statsmodels ``proportion_confint(method="beta")``) is reported and drawn in the
forest plot. A binomial GLMM would pool without any correction, but statsmodels offers it
only as a variational-Bayes fit (``BinomialBayesMixedGLM``), not the maximum-likelihood
model meta-analysts would cite, so it is not used.

One study: no pooling is done; its own proportion with its Clopper-Pearson interval is
reported and the ``note`` says so. No study: a row with empty values and a note.
Studies that mention a category without a usable count (blank ``events`` or ``n``) are
counted in the note, never pooled.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = [
    "BY_FIELDS",
    "CONTINUITY",
    "METHODS",
    "POOL_COLUMNS",
    "MetaResult",
    "PoolRow",
    "StudyCount",
    "clopper_pearson",
    "logit_effect",
    "pool_ae_rows",
    "pool_category",
    "pool_json",
    "random_effects",
    "studies_from_ae_rows",
    "write_pool_outputs",
]

Method = Literal["dl", "reml"]
METHODS: tuple[Method, ...] = ("dl", "reml")
CONTINUITY = 0.5
BY_FIELDS = ("route", "cell_source", "allo_auto", "condition")
Z95 = 1.959963984540054  # standard normal 97.5% quantile: 95% two-sided Wald intervals


@dataclass(frozen=True)
class MetaResult:
    """A random-effects summary on the scale of the inputs (e.g. logit)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float  # percent
    q: float
    k: int


@dataclass(frozen=True)
class StudyCount:
    """One study's events among n treated patients for one category."""

    pmid: str
    label: str  # "First author year (PMID)"
    events: int | None
    n: int | None
    subgroup: str = ""

    @property
    def usable(self) -> bool:
        return (
            self.events is not None
            and self.n is not None
            and self.n > 0
            and 0 <= self.events <= self.n
        )


@dataclass
class PoolRow:
    """One pooled estimate (proportions, 0..1); the ``pool.json`` result schema."""

    category: str
    subgroup: str | None
    method: str
    k: int
    n_patients: int
    events: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    tau2: float | None
    i2: float | None
    note: str = ""
    studies: list[StudyCount] = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("studies")
        return d


def random_effects(yi: Sequence[float], vi: Sequence[float], method: Method) -> MetaResult:
    """Random-effects summary of effects ``yi`` with sampling variances ``vi``.

    ``method``: ``"dl"`` (DerSimonian-Laird, statsmodels) or ``"reml"`` (PyMARE). Needs at
    least two studies.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k = len(y)
    if k < 2 or len(v) != k:
        raise ValueError("random_effects needs at least two studies and one variance each")
    if method == "dl":
        from statsmodels.stats.meta_analysis import combine_effects

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sqrt of a negative tau^2 weight: handled below
            res = combine_effects(y, v, method_re="dl")
        est, se, tau2 = float(res.mean_effect_re), float(res.sd_eff_w_re), float(res.tau2)
        if tau2 < 0:
            # statsmodels 0.15 leaves DL's tau^2 = (Q - df) / C negative when Q < df and
            # weights with it; DerSimonian-Laird (and metafor) truncate at 0, which makes
            # the random-effects summary equal the fixed-effect one it also computes.
            est, se, tau2 = float(res.mean_effect_fe), float(res.sd_eff_w_fe), 0.0
    elif method == "reml":
        from pymare import Dataset
        from pymare.estimators import VarianceBasedLikelihoodEstimator

        estimator = VarianceBasedLikelihoodEstimator(method="REML", small_sample_correction="wald")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optimizer chatter on near-zero tau^2
            estimator.fit_dataset(Dataset(y=y, v=v))
        summary = estimator.summary()
        est = float(np.ravel(summary.fe_params)[0])
        se = float(np.ravel(summary.fe_se)[0])
        tau2 = max(0.0, float(np.ravel(summary.tau2)[0]))
    else:
        raise ValueError(f"unknown method {method!r} (use dl or reml)")
    w = 1.0 / v
    w_mean = w.sum()
    q = float((w * (y - (w * y).sum() / w_mean) ** 2).sum())
    # metafor's "typical" within-study variance; I^2 = tau^2 / (tau^2 + s^2).
    s2 = (k - 1) * w_mean / (w_mean**2 - (w**2).sum()) if k > 1 else 0.0
    i2 = 100.0 * tau2 / (tau2 + s2) if tau2 + s2 > 0 and math.isfinite(s2) else 0.0
    return MetaResult(est, se, est - Z95 * se, est + Z95 * se, tau2, i2, q, k)


def logit_effect(events: int, n: int, cc: float = CONTINUITY) -> tuple[float, float, bool]:
    """``(yi, vi, corrected)`` for a proportion on the logit scale (metafor's PLO).

    ``cc`` is added to events and non-events only when the study has 0 or n events.
    """
    corrected = events == 0 or events == n
    x = events + cc if corrected else float(events)
    rest = (n - events) + cc if corrected else float(n - events)
    return math.log(x / rest), 1.0 / x + 1.0 / rest, corrected


def clopper_pearson(events: int, n: int) -> tuple[float, float]:
    """Exact (Clopper-Pearson) 95% interval of a proportion (statsmodels)."""
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(events, n, alpha=0.05, method="beta")
    low_f, high_f = float(low), float(high)
    # statsmodels gives NaN at the bounds (x = 0 or x = n); the exact bounds are 0 and 1.
    return (0.0 if math.isnan(low_f) else low_f, 1.0 if math.isnan(high_f) else high_f)


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def pool_category(
    category: str,
    studies: Sequence[StudyCount],
    method: Method,
    subgroup: str | None = None,
    cc: float = CONTINUITY,
) -> PoolRow:
    """Pool one category's studies (see the module docstring for k=0, k=1 and zeros)."""
    usable = [s for s in studies if s.usable]
    unusable = len(studies) - len(usable)
    events = sum(s.events or 0 for s in usable)
    n_total = sum(s.n or 0 for s in usable)
    notes: list[str] = []
    if unusable:
        notes.append(
            f"{unusable} {'study mentions' if unusable == 1 else 'studies mention'} "
            "the category without a usable count (not pooled)"
        )
    row = PoolRow(
        category, subgroup, method, len(usable), n_total, events, None, None, None, None, None
    )
    row.studies = list(usable)
    if not usable:
        row.note = "; ".join(["no study reports a count for this category", *notes])
        return row
    if len(usable) == 1:
        s = usable[0]
        assert s.events is not None and s.n is not None
        row.estimate = s.events / s.n
        row.ci_low, row.ci_high = clopper_pearson(s.events, s.n)
        row.note = "; ".join(
            ["one study: not pooled (its own proportion, exact Clopper-Pearson 95% CI)", *notes]
        )
        return row
    effects = [logit_effect(s.events or 0, s.n or 0, cc) for s in usable]
    result = random_effects([e[0] for e in effects], [e[1] for e in effects], method)
    row.estimate = _expit(result.estimate)
    row.ci_low, row.ci_high = _expit(result.ci_low), _expit(result.ci_high)
    row.tau2, row.i2 = result.tau2, result.i2
    corrected = sum(e[2] for e in effects)
    if corrected:
        notes.insert(0, f"continuity correction {cc} in {corrected} of {len(usable)} studies")
    if events == 0:
        notes.insert(0, "no events in any study: the estimate reflects the correction only")
    row.note = "; ".join(notes)
    return row


def _int_or_none(v: Any) -> int | None:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def study_label(first_author: str, year: Any, pmid: str) -> str:
    """``"Smith AB 2020 (12345678)"``: what forest plots and tables show per study."""
    parts = [p for p in (first_author, str(year or "")) if p]
    return f"{' '.join(parts) or 'Anonymous'} ({pmid})"


def studies_from_ae_rows(
    rows: Iterable[dict[str, Any]], category: str, by: str | None = None
) -> list[StudyCount]:
    """The ``ae_long`` rows of one category as studies (``by`` fills ``subgroup``)."""
    out = []
    for r in rows:
        if r["category"] != category:
            continue
        events = _int_or_none(r.get("events"))
        if events is None and not r.get("evidence"):
            continue  # category not reported at all: not a study of this category
        out.append(
            StudyCount(
                pmid=str(r["pmid"]),
                label=study_label(str(r.get("first_author", "")), r.get("year"), str(r["pmid"])),
                events=events,
                n=_int_or_none(r.get("n")),
                subgroup=str(r.get(by, "") or "not_stated") if by else "",
            )
        )
    return out


def categories_of(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Categories present in ``ae_long`` rows, core ones first, in the rows' order."""
    return list(dict.fromkeys(str(r["category"]) for r in rows))


def pool_ae_rows(
    rows: Sequence[dict[str, Any]],
    categories: Sequence[str] | None = None,
    methods: Sequence[Method] = METHODS,
    by: str | None = None,
    cc: float = CONTINUITY,
) -> list[PoolRow]:
    """Pool every category of ``ae_long`` rows; with ``by``, overall then per subgroup."""
    if by is not None and by not in BY_FIELDS:
        from msc_mine.errors import UsageError

        raise UsageError(f"cannot pool by {by!r} (use one of {', '.join(BY_FIELDS)})")
    out: list[PoolRow] = []
    for category in categories or categories_of(rows):
        studies = studies_from_ae_rows(rows, category, by)
        for method in methods:
            out.append(pool_category(category, studies, method, None, cc))
        if by is None:
            continue
        for value in sorted({s.subgroup for s in studies}):
            group = [s for s in studies if s.subgroup == value]
            for method in methods:
                out.append(pool_category(category, group, method, value, cc))
    return out


def pool_json(
    review: str,
    rows: Sequence[PoolRow],
    methods: Sequence[str] = METHODS,
    by: str | None = None,
    cc: float = CONTINUITY,
) -> dict[str, Any]:
    """The ``pool.json`` document (the report's contract: keep the keys).

    ``studies`` (beyond the contract's keys) lists each pooled study once per category and
    subgroup, with its exact interval, for tables beside the forest plots.
    """
    studies: list[dict[str, Any]] = []
    seen: set[tuple[str, str | None]] = set()
    for r in rows:
        if (r.category, r.subgroup) in seen:
            continue
        seen.add((r.category, r.subgroup))
        for s in r.studies:
            assert s.events is not None and s.n is not None
            low, high = clopper_pearson(s.events, s.n)
            studies.append(
                {
                    "category": r.category,
                    "subgroup": r.subgroup,
                    "pmid": s.pmid,
                    "label": s.label,
                    "events": s.events,
                    "n": s.n,
                    "proportion": s.events / s.n,
                    "ci_low": low,
                    "ci_high": high,
                    "corrected": s.events in (0, s.n),
                }
            )
    return {
        "review": review,
        "methods": list(methods),
        "continuity_correction": cc,
        "by": by,
        "results": [r.to_dict() for r in rows],
        "studies": studies,
    }


POOL_COLUMNS = (
    "category",
    "subgroup",
    "method",
    "k",
    "n_patients",
    "events",
    "estimate",
    "ci_low",
    "ci_high",
    "tau2",
    "i2",
    "note",
)


def write_pool_outputs(
    review: str,
    results: Sequence[PoolRow],
    out_dir: str | Path,
    methods: Sequence[str] = METHODS,
    by: str | None = None,
    cc: float = CONTINUITY,
) -> dict[str, Path]:
    """Write ``pool.json``, ``pool.csv`` and ``forest/<stem>.svg|.png`` (categories with
    at least one study) into ``out_dir``, renamed into place together; name -> path."""
    from msc_mine.atomic import Staging
    from msc_mine.forest import write_forest
    from msc_mine.writers import write_table

    out = Path(out_dir)
    files: dict[str, Path] = {"pool.json": out / "pool.json", "pool.csv": out / "pool.csv"}
    doc = pool_json(review, results, methods, by, cc)
    with Staging() as staging:
        staging.path(files["pool.json"]).write_text(
            json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        write_table([r.to_dict() for r in results], staging.path(files["pool.csv"]), POOL_COLUMNS)
        for category in dict.fromkeys(r.category for r in results):
            rows = [r for r in results if r.category == category]
            if any(r.k >= 1 for r in rows):
                svg, png = write_forest(category, rows, out / "forest", by, staging=staging)
                files[f"forest/{svg.name}"], files[f"forest/{png.name}"] = svg, png
    return files
