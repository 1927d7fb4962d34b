"""Ingest benchmark: search + fetch + parse + store N records from the local E-utilities server.

Run::

    .venv/bin/python benchmarks/bench_ingest.py --records 20000

For each size (5,000 and ``--records``, each in a fresh process so peak memory is its own)
it starts the test server (tests/eutils_server.py) in a separate process with N synthetic
PubMed records, runs :func:`msc_mine.fetch.fetch_query` into an empty review database, and
prints: HTTP requests by endpoint against the target (one esearch per date window visited
plus ceil(count/batch) efetches per window), records parsed and stored per second (end to
end, and the parse and store steps alone), the client's peak RSS, and the request count of
a second run with the same cache and database (target: zero efetches).

The client's rate limit is lifted (``rate=1e6``) to measure our own throughput; against
NCBI the same 20,000 records take ~45 requests, i.e. ~15 s at 3 requests/s.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import resource
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # eutils_server.py lives with the tests


def _serve(n: int, conn: Connection) -> None:
    from eutils_server import EutilsServer, synthetic_records

    with EutilsServer(synthetic_records(n, years=(2005, 2024))) as server:
        conn.send(server.url)
        while True:
            command = conn.recv()
            if command == "counts":
                conn.send(dict(server.counts))
            elif command == "reset":
                server.reset_log()
                conn.send(True)
            else:
                break


def run_one(n: int, batch: int) -> dict[str, Any]:
    """One size, in this process: returns the figures as a dict."""
    import msc_mine.fetch as fetch_mod
    from msc_mine.entrez import EntrezClient
    from msc_mine.store import Store

    ctx = mp.get_context("spawn")  # a clean process: the server's memory is not ours
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(n, child), daemon=True)
    server.start()
    url = parent.recv()

    timings = {"parse": 0.0, "store": 0.0}
    real_parse = fetch_mod.parse_pubmed_xml
    real_upsert = Store.upsert_records

    def timed_parse(data: bytes) -> Any:
        t = time.perf_counter()
        try:
            return real_parse(data)
        finally:
            timings["parse"] += time.perf_counter() - t

    def timed_upsert(self: Store, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return real_upsert(self, *args, **kwargs)
        finally:
            timings["store"] += time.perf_counter() - t

    fetch_mod.parse_pubmed_xml = timed_parse  # type: ignore[assignment]
    Store.upsert_records = timed_upsert  # type: ignore[method-assign]

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    term = "mesenchymal"
    window = {"mindate": "2005", "maxdate": "2024"}
    try:
        client = EntrezClient(work / "http_cache.sqlite", base_url=url, rate=1e6)
        with Store(work / "review.sqlite") as store:
            start = time.perf_counter()
            report = fetch_mod.fetch_query(client, store, term, batch_size=batch, **window)
            elapsed = time.perf_counter() - start
            stored = len(store)
        client.close()
        parent.send("counts")
        first = parent.recv()
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        parent.send("reset")
        parent.recv()
        client = EntrezClient(work / "http_cache.sqlite", base_url=url, rate=1e6)
        with Store(work / "review.sqlite") as store:
            again = fetch_mod.fetch_query(client, store, term, batch_size=batch, **window)
        client.close()
        parent.send("counts")
        second = parent.recv()
    finally:
        parent.send("stop")
        server.join(timeout=10)

    # Our own target: one esearch per window visited, ceil(count/batch) efetches per window.
    from msc_mine.entrez import ESEARCH_CAP

    target_efetch = math.ceil(n / batch) if n <= ESEARCH_CAP else None
    return {
        "records": n,
        "batch": batch,
        "count": report.count,
        "stored": stored,
        "failed": len(report.failed),
        "windows": report.windows,
        "esearch": first.get("esearch", 0),
        "efetch": first.get("efetch", 0),
        "efetch_min": math.ceil(n / batch),
        "efetch_target": target_efetch,
        "seconds": elapsed,
        "per_s": n / elapsed,
        "parse_per_s": n / timings["parse"] if timings["parse"] else 0.0,
        "store_per_s": n / timings["store"] if timings["store"] else 0.0,
        "peak_rss_mib": peak_kib / 1024,
        "rerun_esearch": second.get("esearch", 0),
        "rerun_efetch": second.get("efetch", 0),
        "rerun_already_stored": again.already_stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        print(json.dumps(run_one(args.records, args.batch)))
        return
    sizes = sorted({5_000, args.records})
    results = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--single", "--records", str(n), "--batch", str(args.batch)],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"ingest benchmark (batch {args.batch}; local server in its own process; rate limit off)")
    for r in results:
        print(
            f"\nN = {r['records']:,}: {r['count']:,} found, {r['stored']:,} stored, "
            f"{r['failed']} failed, {r['windows']} date window(s)\n"
            f"  requests:   {r['esearch']} esearch + {r['efetch']} efetch "
            f"(efetch floor ceil(N/batch) = {r['efetch_min']})\n"
            f"  throughput: {r['per_s']:,.0f} records/s end to end ({r['seconds']:.1f} s); "
            f"parse {r['parse_per_s']:,.0f}/s, store {r['store_per_s']:,.0f}/s\n"
            f"  peak RSS:   {r['peak_rss_mib']:.0f} MiB (client process)\n"
            f"  second run: {r['rerun_esearch']} esearch + {r['rerun_efetch']} efetch sent, "
            f"{r['rerun_already_stored']:,} already stored"
        )
    if len(results) == 2:
        a, b = results
        print(
            f"\npeak RSS {a['peak_rss_mib']:.0f} MiB at {a['records']:,} vs "
            f"{b['peak_rss_mib']:.0f} MiB at {b['records']:,} records "
            f"(x{b['peak_rss_mib'] / a['peak_rss_mib']:.2f} "
            f"for x{b['records'] / a['records']:.0f} records)"
        )


if __name__ == "__main__":
    main()
