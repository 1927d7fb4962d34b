"""The inclusion funnel of a review run, as data: what was found, removed, excluded, kept.

Example::

    >>> from msc_mine.codebook import Decision
    >>> from msc_mine.funnel import build_funnel
    >>> from msc_mine.pipeline import load_pipeline
    >>> p = load_pipeline("pipelines/msc_iv_safety.toml")
    >>> decisions = [
    ...     Decision("1", "yes"),
    ...     Decision("2", "no", "review", "preliminary", "review_article"),
    ...     Decision("3", "no", "non_iv_route", "eligibility", "non_iv_route"),
    ...     Decision("4", "maybe", "", "eligibility", "route_not_stated"),
    ... ]
    >>> f = build_funnel(p, {"multiple_sclerosis": 3, "general_adverse_events": 2}, decisions)
    >>> f.identified_total, f.duplicates, f.screened, f.included
    (5, 1, 4, 1)
    >>> f.excluded["eligibility"].reasons["non_iv_route"], f.maybe_total
    (1, 1)

The funnel follows PRISMA 2020: records identified (per search or input file, and in total),
duplicates removed, records screened, then for each screening stage the records assessed and
those excluded with counts per reason, the records left for a manual check (``maybe``) and
the studies included. :meth:`Funnel.check` proves the counts add up; :func:`build_funnel`
calls it, so no run can write a funnel that does not.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msc_mine.codebook import EXCLUDE_REASONS, Decision
from msc_mine.errors import MscMineError
from msc_mine.pipeline import Pipeline


class FunnelError(MscMineError):
    """The funnel's counts do not add up: a bug in the run, never to be written out."""


@dataclass
class StageCounts:
    """One screening stage: records that reached it, and those it excluded by reason."""

    assessed: int
    reasons: dict[str, int]

    @property
    def excluded(self) -> int:
        return sum(self.reasons.values())


@dataclass
class Funnel:
    """Counts of a review run, stage by stage (see the module docstring)."""

    review: str
    identified: dict[str, int]
    duplicates: int
    screened: int
    stages: tuple[str, ...]
    excluded: dict[str, StageCounts]
    maybe: dict[str, int]  # maybe rule id -> records
    included: int
    sources_label: str = "PubMed"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def identified_total(self) -> int:
        return sum(self.identified.values())

    @property
    def maybe_total(self) -> int:
        return sum(self.maybe.values())

    def check(self) -> None:
        """Raise :class:`FunnelError` unless every box of the funnel adds up."""
        problems: list[str] = []
        counts = [
            *self.identified.values(),
            self.duplicates,
            self.screened,
            self.included,
            *self.maybe.values(),
        ]
        counts += [n for s in self.excluded.values() for n in s.reasons.values()]
        if any(n < 0 for n in counts):
            problems.append("a count is negative")
        if self.identified_total - self.duplicates != self.screened:
            problems.append(
                f"identified {self.identified_total} - duplicates {self.duplicates} "
                f"!= screened {self.screened}"
            )
        if set(self.excluded) != set(self.stages):
            problems.append(f"stages {sorted(self.excluded)} != pipeline stages")
        remaining = self.screened
        for stage in self.stages:
            counts_ = self.excluded.get(stage)
            if counts_ is None:
                continue
            if counts_.assessed != remaining:
                problems.append(
                    f"{stage}: assessed {counts_.assessed} != {remaining} "
                    "left by the previous stage"
                )
            remaining -= counts_.excluded
        if remaining != self.maybe_total + self.included:
            problems.append(
                f"left after exclusions {remaining} != maybe {self.maybe_total} "
                f"+ included {self.included}"
            )
        if problems:
            raise FunnelError(f"funnel of {self.review} does not add up: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """The ``funnel.json`` layout (stable key order, so reruns are byte-identical)."""
        return {
            "review": self.review,
            "identified": {
                "from": self.sources_label,
                "per_source": dict(self.identified),
                "total": self.identified_total,
            },
            "duplicates": self.duplicates,
            "screened": self.screened,
            "excluded": {
                stage: {"assessed": c.assessed, "total": c.excluded, "reasons": dict(c.reasons)}
                for stage, c in self.excluded.items()
            },
            "maybe": {"total": self.maybe_total, "rules": dict(self.maybe)},
            "included": self.included,
            **({"extra": self.extra} if self.extra else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Funnel:
        excluded = {
            s: StageCounts(v["assessed"], dict(v["reasons"])) for s, v in d["excluded"].items()
        }
        return cls(
            review=d["review"],
            identified=dict(d["identified"]["per_source"]),
            duplicates=d["duplicates"],
            screened=d["screened"],
            stages=tuple(excluded),
            excluded=excluded,
            maybe=dict(d["maybe"]["rules"]),
            included=d["included"],
            sources_label=d["identified"].get("from", "PubMed"),
            extra=d.get("extra", {}),
        )

    def write_json(self, path: str | Path) -> None:
        self.check()
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        Path(path).write_text(text + "\n", encoding="utf-8")


def build_funnel(
    pipeline: Pipeline,
    identified: dict[str, int],
    decisions: Iterable[Decision],
    duplicates: int | None = None,
    sources_label: str = "PubMed",
) -> Funnel:
    """Count ``decisions`` into a checked funnel.

    ``identified`` maps each search id (or input file) to the records it returned, in the
    order to show them; ``duplicates`` defaults to what identified minus screened implies.
    Every reason a stage's rules can give is listed, with 0 when none fired, so the PRISMA
    diagram shows the criteria even when they excluded nothing.
    """
    decisions = list(decisions)
    reasons: dict[str, Counter[str]] = {s: Counter() for s in pipeline.stages}
    maybe: Counter[str] = Counter()
    included = 0
    for d in decisions:
        if d.include == "yes":
            included += 1
        elif d.include == "maybe":
            maybe[d.rule_id or "unspecified"] += 1
        elif d.include == "no":
            if d.stage not in reasons:
                raise FunnelError(f"decision for {d.pmid} names unknown stage {d.stage!r}")
            reasons[d.stage][d.exclude_reason or "other"] += 1
        else:
            raise FunnelError(f"decision for {d.pmid} has include={d.include!r}")
    excluded: dict[str, StageCounts] = {}
    remaining = len(decisions)
    for stage in pipeline.stages:
        possible = {r.exclude_reason for r in pipeline.rules_for(stage) if r.decision == "exclude"}
        names = possible | set(reasons[stage])
        ordered = {name: reasons[stage][name] for name in EXCLUDE_REASONS if name in names}
        excluded[stage] = StageCounts(assessed=remaining, reasons=ordered)
        remaining -= excluded[stage].excluded
    maybe_order = [r.id for r in pipeline.rules if r.decision == "maybe"]
    maybe_sorted = dict(
        sorted(
            maybe.items(),
            key=lambda kv: (
                maybe_order.index(kv[0]) if kv[0] in maybe_order else len(maybe_order),
                kv[0],
            ),
        )
    )
    total = sum(identified.values())
    funnel = Funnel(
        review=pipeline.id,
        identified=dict(identified),
        duplicates=total - len(decisions) if duplicates is None else duplicates,
        screened=len(decisions),
        stages=pipeline.stages,
        excluded=excluded,
        maybe=maybe_sorted,
        included=included,
        sources_label=sources_label,
    )
    funnel.check()
    return funnel


def load_funnel(path: str | Path) -> Funnel:
    """Read a ``funnel.json`` back (and check it)."""
    funnel = Funnel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    funnel.check()
    return funnel
