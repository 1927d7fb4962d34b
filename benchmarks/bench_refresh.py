"""Refresh benchmark: a 20,000-record review database, then 200 new and 50 revised records.

Run::

    .venv/bin/python benchmarks/bench_refresh.py --records 20000 --processes 2

Starts the local E-utilities server (tests/eutils_server.py) in its own process with N
records of the scaled-corpus generator (``corpora/scaled/generate.py``), builds the review
database with a full ``run_review`` over PubMed (two searches, ``mesenchymal`` and
``intravenous``, no upper date limit: a living review), then changes the served corpus:
``--new`` records that entered PubMed today and ``--revised`` records revised today (a
sentence added to the abstract). It then runs :func:`msc_mine.refresh.run_refresh` in a
fresh process (so peak memory is the refresh's own) and prints the requests the server
received by endpoint against the target (one esearch per search and date type; efetches
for the new and revised ids only), wall time by stage and peak RSS.

``--extractor gold`` uses the generator's gold values instead of the NLP (the mechanism
alone); the default runs the real extraction, labelled in the refresh with the setup's
extractor version (edits to the extraction code between the phases would otherwise make
the refresh re-extract everything, which is right for a real review but not the figure).
The client's rate limit is lifted to measure our own work; against NCBI the refresh's ~5
requests take under 2 s at 3 requests/s.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # eutils_server.py lives with the tests

from scaled_corpus import load_generator  # noqa: E402


def corpus(n: int, n_new: int, n_revised: int, changed: bool) -> tuple[list[Any], list[str]]:
    """(record, gold) pairs of the base corpus, or of the changed one; and the new PMIDs."""
    from msc_mine.records import AbstractSection

    gen = load_generator()
    pairs = list(gen.gold_records(n))
    if not changed:
        return pairs, []
    today = datetime.now(UTC).date().isoformat()
    # Revise records the searches find (haematopoietic-cell records match neither).
    searched = [i for i, (_, g) in enumerate(pairs) if g.cue != "hsc"]
    step = max(1, len(searched) // max(1, n_revised))
    for i in searched[::step][:n_revised]:
        rec, g = pairs[i]
        note = AbstractSection("NOTE", "Follow-up data were added in a revision.", "")
        pairs[i] = (dataclasses.replace(rec, abstract=[*rec.abstract, note], revised=today), g)
    extra = [p for p in gen.gold_records(n_new * 2, seed=99) if p[1].cue != "hsc"][:n_new]
    new_ids = []
    for i, (rec, g) in enumerate(extra):
        pmid = str(95_000_000 + i)
        rec = dataclasses.replace(
            rec, pmid=pmid, doi=f"10.5555/new.{pmid}", revised=today, source_ids=[f"pubmed:{pmid}"]
        )
        pairs.append((rec, dataclasses.replace(g, pmid=pmid)))
        new_ids.append(pmid)
    return pairs, new_ids


def _serve(n: int, n_new: int, n_revised: int, conn: Connection) -> None:
    from eutils_server import EutilsServer

    base, _ = corpus(n, n_new, n_revised, changed=False)
    with EutilsServer(r for r, _ in base) as server:
        conn.send(server.url)
        while True:
            command = conn.recv()
            if command == "change":
                pairs, new_ids = corpus(n, n_new, n_revised, changed=True)
                server.set_records(r for r, _ in pairs)
                today = datetime.now(UTC).date()
                for pmid in new_ids:
                    server.set_dates(pmid, edat=today)
                server.reset_log()
                conn.send(len(pairs))
            elif command == "log":
                log = server.log
                conn.send(
                    {
                        "counts": dict(server.counts),
                        "esearch": [
                            (r.params.get("datetype", ""), r.params["term"].split(" AND ")[0])
                            for r in log
                            if r.endpoint == "esearch"
                        ],
                        "efetch_ids": sum(
                            len(r.params.get("id", "").split(","))
                            for r in log
                            if r.endpoint == "efetch"
                        ),
                    }
                )
            else:
                break


def _pipeline() -> Any:
    from msc_mine.pipeline import SearchQuery, load_pipeline

    iv = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")
    queries = (SearchQuery("msc", query="mesenchymal"), SearchQuery("iv", query="intravenous"))
    search = dataclasses.replace(iv.search, queries=queries, maxdate="")
    return dataclasses.replace(iv, search=search)


def _extractor(kind: str, args: argparse.Namespace, changed: bool) -> tuple[Any, str | None]:
    if kind == "nlp":
        from msc_mine.extract import EXTRACTOR_VERSION, extract_many

        def nlp(records: Any, n_process: int) -> Any:
            return extract_many(records, n_process=n_process)

        # The refresh keeps the setup's version label: the extraction code may be edited
        # (by other work in the same tree) between the two phases, which would otherwise
        # re-extract everything, correctly but beside the point here.
        return nlp, args.version or EXTRACTOR_VERSION
    gen = load_generator()
    pairs, _ = corpus(args.records, args.new, args.revised, changed)
    gold = {g.pmid: g for _, g in pairs}

    def run(records: Any, n_process: int) -> Any:
        return [gen.gold_extraction(gold[r.key]) for r in records]

    return run, "gold-1"


def phase(args: argparse.Namespace) -> dict[str, Any]:
    """One phase in this process: ``setup`` (full review) or ``refresh``."""
    os.environ.setdefault("MPLCONFIGDIR", str(args.work / "mpl"))
    from msc_mine.entrez import EntrezClient
    from msc_mine.refresh import run_refresh
    from msc_mine.review import run_review

    extractor, version = _extractor(args.extractor, args, changed=args.phase == "refresh")
    client = EntrezClient(None, base_url=args.url, rate=1e6)
    t0 = time.perf_counter()
    if args.phase == "setup":
        result = run_review(
            _pipeline(), client=client, out_dir=args.work / "out", processes=args.processes,
            extractor=extractor, extractor_version=version,
        )  # fmt: skip
        review, extra = result, {}
    else:
        refreshed = run_refresh(
            _pipeline(), client, out_dir=args.work / "out", processes=args.processes,
            extractor=extractor, extractor_version=version,
        )  # fmt: skip
        review = refreshed.review
        extra = {
            "new": len(refreshed.new_ids),
            "revised": len(refreshed.revised_ids),
            "summary": refreshed.summary,
        }
    wall = time.perf_counter() - t0
    client.close()
    return {
        "version": version,
        "wall": wall,
        "timings": review.timings,
        "screened": review.funnel.screened,
        "included": review.funnel.included,
        "extracted": review.extracted,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        **extra,
    }


def _run_phase(
    name: str, url: str, work: Path, args: argparse.Namespace, version: str = ""
) -> dict[str, Any]:
    cmd = [
        sys.executable, __file__, "--phase", name, "--url", url, "--work", str(work),
        "--records", str(args.records), "--new", str(args.new), "--revised", str(args.revised),
        "--processes", str(args.processes), "--extractor", args.extractor,
        *(["--version", version] if version else []),
    ]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--revised", type=int, default=50)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--extractor", choices=("nlp", "gold"), default="nlp")
    parser.add_argument("--phase", choices=("setup", "refresh"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--version", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args)))
        return

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(
        target=_serve, args=(args.records, args.new, args.revised, child), daemon=True
    )
    server.start()
    url = parent.recv()
    work = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    try:
        setup = _run_phase("setup", url, work, args)
        parent.send("change")
        served = parent.recv()
        refresh = _run_phase("refresh", url, work, args, setup["version"] or "")
        parent.send("log")
        log = parent.recv()
    finally:
        parent.send("stop")
        server.join(timeout=10)

    print(
        f"refresh benchmark: {args.records:,}-record review, then {args.new} new + "
        f"{args.revised} revised records ({served:,} served); extractor {args.extractor}, "
        f"{args.processes} process(es); local server in its own process, rate limit off"
    )
    print(
        f"\nsetup (full review, not the figure): {setup['wall']:.1f} s, "
        f"{setup['screened']:,} screened, {setup['included']:,} included"
    )
    target_fetch = args.new + args.revised
    print(
        f"\nrefresh requests: {log['counts'].get('esearch', 0)} esearch "
        f"(target 4: 2 searches x edat/mdat), {log['counts'].get('efetch', 0)} efetch "
        f"carrying {log['efetch_ids']} ids (target {target_fetch})"
    )
    for datetype, term in sorted(log["esearch"]):
        print(f"  esearch {datetype} {term}")
    print(
        f"refresh: {refresh['wall']:.1f} s wall; fetched {refresh['new']} new + "
        f"{refresh['revised']} revised; re-extracted {refresh['extracted']}; "
        f"{refresh['screened']:,} screened, {refresh['included']:,} included"
    )
    for stage, seconds in refresh["timings"].items():
        print(f"  {stage:<20} {seconds:7.1f} s")
    print(
        f"peak RSS (refresh process): {refresh['peak_mib']:.0f} MiB; "
        f"largest extraction worker {refresh['children_mib']:.0f} MiB"
    )
    print(f"change report: {refresh['summary']}")
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
