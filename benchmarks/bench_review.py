"""Benchmark: ``msc-mine review`` on N records read from files.

Usage::

    .venv/bin/python benchmarks/bench_review.py --records 20000 [--processes 2] [--keep DIR]

Generates N records with the scaled-corpus generator (``corpora/scaled/generate.py``: the
664-record mix of the IV-safety review, scaled up; two PubMed XML files with duplicates),
runs the whole review (read, store, deduplicate, extract, screen, write every output) in a
fresh temporary folder, then runs it again with nothing new (the rerun path). Prints wall
time per stage, records per second and peak memory: ``resource.getrusage`` ``ru_maxrss`` of
this process and of its children (extraction workers), which on Linux is in KiB.
Targets (issue 4): under 2 minutes and under 1 GiB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # scaled_corpus.py lives with the tests

from scaled_corpus import load_generator  # noqa: E402


def peak_mib() -> tuple[float, float]:
    """Peak resident memory (MiB) of this process and of its largest finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="msc-mine-bench-review-"))
    os.environ.setdefault("MPLCONFIGDIR", str(work / "mpl"))

    from msc_mine.pipeline import load_pipeline
    from msc_mine.review import run_review

    gen = load_generator()
    t0 = time.perf_counter()
    a, b, _gold = gen.generate(
        work / "corpus",
        total=args.records,
        duplicates=max(1, args.records * gen.DUPLICATES // gen.TOTAL),
    )
    t_gen = time.perf_counter() - t0
    size = (a.stat().st_size + b.stat().st_size) / 2**20
    pipeline = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")

    print(
        f"corpus: {args.records:,} records, {size:.1f} MiB PubMed XML "
        f"(generated in {t_gen:.1f} s, not counted)"
    )
    for label in ("first run", "rerun, nothing new"):
        t0 = time.perf_counter()
        result = run_review(pipeline, inputs=[a, b], out_dir=work / "out", processes=args.processes)
        wall = time.perf_counter() - t0
        f = result.funnel
        print(
            f"\n{label}: {wall:.1f} s wall, {f.screened / wall:,.0f} records/s; "
            f"identified {f.identified_total:,}, screened {f.screened:,}, "
            f"included {f.included:,}, re-extracted {result.extracted:,}"
        )
        for stage, seconds in result.timings.items():
            print(f"  {stage:<20} {seconds:7.1f} s")
    own, children = peak_mib()
    print(f"\npeak memory: {own:,.0f} MiB (this process), {children:,.0f} MiB (largest child)")
    print(f"work folder: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
