"""Benchmark: ``msc-mine report`` (report.html) on a large review's outputs.

Usage::

    .venv/bin/python benchmarks/bench_report.py --records 20000 --included 120 --maybe 300

Runs the demo review (corpora/demo) into a temporary folder, then rewrites its table.csv
to N rows (unique PMIDs) of which K are included and M are ``maybe``, copying the demo's
rows and their evidence round-robin; the funnel, PRISMA diagram and manifest stay the
demo's. Then writes report.html twice (the second write must give the same bytes) and
prints wall time per write, the peak memory Python allocated while writing
(``tracemalloc``), the process's peak RSS, and the page's size.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def scale_table(out: Path, records: int, included: int, maybe: int) -> None:
    with (out / "table.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pools = {k: [r for r in rows if r["include"] == k] for k in ("yes", "maybe", "no")}
    wanted = {"yes": included, "maybe": maybe, "no": records - included - maybe}
    scaled: list[dict[str, str]] = []
    for kind, count in wanted.items():
        source = pools[kind]
        for i in range(count):
            row = dict(source[i % len(source)])
            row["pmid"] = str(100_000_000 + len(scaled))
            scaled.append(row)
    with (out / "table.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(scaled)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--included", type=int, default=120)
    parser.add_argument("--maybe", type=int, default=300)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="msc-mine-bench-report-"))
    os.environ.setdefault("MPLCONFIGDIR", str(work / "mpl"))

    from msc_mine.pipeline import load_pipeline
    from msc_mine.report import write_report
    from msc_mine.review import run_review

    pipeline = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")
    demo = REPO / "corpora" / "demo"
    out = work / "review"
    run_review(pipeline, inputs=[demo / "demo.xml", demo / "demo_extra.nbib"], out_dir=out)
    scale_table(out, args.records, args.included, args.maybe)
    print(
        f"table.csv: {args.records} rows, {args.included} included, {args.maybe} maybe "
        f"({(out / 'table.csv').stat().st_size / 2**20:.1f} MiB)"
    )
    pages = []
    for attempt in (1, 2):
        tracemalloc.start()
        t0 = time.perf_counter()
        path = write_report(out, pipeline)
        wall = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        pages.append(path.read_bytes())
        print(f"write {attempt}: {wall:.2f} s, peak Python allocations {peak / 2**20:.0f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"report.html: {len(pages[0]) / 2**20:.1f} MiB; identical bytes: {pages[0] == pages[1]}")
    print(f"process peak RSS (incl. the demo review run): {rss:.0f} MiB; folder: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
