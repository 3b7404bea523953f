#!/usr/bin/env python3
"""bench_many_runs.py -- vizd's list answers and one-tag reads with many runs (issue 13, "Many runs").

    python3 bench/bench_many_runs.py [--vizd build/vizd] [--runs 1000] [--tags 100] [--steps 20] [--repeats 3]

Starts vizd on a fresh database (loopback, a free port) and posts RUNS runs of TAGS scalar tags of STEPS
steps each (one columnar write per run, encoded before the clock), plus a tag "long" of 10,000 steps in
the first 256 runs. Then times, on one keep-alive connection, identity encoding, the body read whole:
  - what the dashboard asks on load (web/app.js refresh: api.listRuns and api.listTags, every page):
      GET /api/v1/runs
      GET /api/v1/tags, each page (at most 10,000 series) and all of them
    and GET /api/v1/tags?kind=scalars (every page), GET /api/v1/tags?run=R (one run's tags);
  - one tag over 256 runs (vizd's most per request): GET /api/v1/scalars?tag=T&run=x256&points=1000, for a
    tag of STEPS steps and for "long" (2,560,000 points).
Each request runs 5 times per repeat; a repeat's figure is the median of its 5; printed: the median of the
repeats' figures and their range, and vizd's CPU time (user + system) per request, which other work on the
machine hardly changes (the wall time it multiplies). This is not a test: it asserts nothing, it measures.
"""
import argparse
import json
import os
import tempfile
import time
import urllib.parse
from benchlib import Server, Timed, cpu_seconds, fmt_ms, free_port, post_write, start_vizd, wait_quiet

LONG_RUNS = 256
LONG_STEPS = 10_000


def body_for(run, tags, steps, long_steps):
    scalars = [{"tag": "tag%03d" % t, "steps": list(range(steps)),
                "values": [round(1.0 / (1 + s) + t * 0.01, 6) for s in range(steps)]} for t in range(tags)]
    if long_steps:
        scalars.append({"tag": "long", "steps": list(range(long_steps)),
                        "values": [round(2.0 / (1 + s * 1e-3), 6) for s in range(long_steps)]})
    return json.dumps({"run": run, "hparams": {"lr": 0.001, "batch": 64}, "scalars": scalars}).encode()


def all_pages(server, path, timings):
    """Every page of a paged /api/v1/tags answer; each page's time appended to timings. (series, bytes)"""
    after, series, size = None, 0, 0
    while True:
        url = path + (("&" if "?" in path else "?") + "after=" + after if after else "")
        status, data, seconds = server.request("GET", url)
        if status != 200:
            raise SystemExit("%s: HTTP %d %s" % (url, status, data[:200]))
        timings.append(seconds)
        page = json.loads(data)
        series += sum(len(tags) for kinds in page["runs"].values() for tags in kinds.values())
        size += len(data)
        after = page["next"]
        if after is None:
            return series, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default="build/vizd")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=100)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_vizd(args.vizd, os.path.join(tmp, "many.sqlite"), port)
        try:
            server = Server(port)
            runs = ["run%04d" % r for r in range(args.runs)]
            start = time.monotonic()
            for i, run in enumerate(runs):
                post_write(server.conn, body_for(run, args.tags, args.steps, LONG_STEPS if i < LONG_RUNS else 0))
            long_runs = min(LONG_RUNS, args.runs)
            points = args.runs * args.tags * args.steps + long_runs * LONG_STEPS
            print("%d runs x %d tags x %d steps, plus \"long\" (%d steps) in %d runs: %s points posted in %.1f s"
                  % (args.runs, args.tags, args.steps, LONG_STEPS, long_runs, format(points, ","),
                     time.monotonic() - start))
            start = time.monotonic()
            wait_quiet(proc.pid, os.path.join(tmp, "many.sqlite"))  # vizd's idle work after the writes
            print("vizd quiet (tails folded, WAL checkpointed) %.1f s after the last write" % (time.monotonic() - start))

            rows = []

            def timed(path):
                """A Timed of repeats x PER_REPEAT requests of path, and vizd's CPU per request."""
                t = Timed()
                cpu = cpu_seconds(proc.pid)
                for _ in range(args.repeats):
                    t.run(server, "GET", path)
                return t, fmt_ms((cpu_seconds(proc.pid) - cpu) * 1e3 / (args.repeats * Timed.PER_REPEAT)) + " ms"

            runs_list, cpu = timed("/api/v1/runs")
            rows.append(("GET /api/v1/runs (%d runs, %.2f MB)" % (len(json.loads(runs_list.body)["runs"]),
                                                                 len(runs_list.body) / 1e6), runs_list.text(), cpu))

            for label, path in (("GET /api/v1/tags", "/api/v1/tags"),
                                ("GET /api/v1/tags?kind=scalars", "/api/v1/tags?kind=scalars")):
                page_medians, totals, requests = [], [], 0
                cpu = cpu_seconds(proc.pid)
                for _ in range(args.repeats):
                    pages, whole = [], []
                    for _ in range(Timed.PER_REPEAT):
                        timings = []
                        series, size = all_pages(server, path, timings)
                        pages.extend(timings)
                        requests += len(timings)
                        whole.append(sum(timings))
                    page_medians.append(sorted(pages)[len(pages) // 2])
                    totals.append(sorted(whole)[len(whole) // 2])
                cpu = (cpu_seconds(proc.pid) - cpu) / requests
                rows.append(("%s, one page (%d series in %d pages, %.1f MB in all)"
                             % (label, series, len(timings), size / 1e6), Timed.summary(page_medians),
                             fmt_ms(cpu * 1e3) + " ms"))
                rows.append(("%s, every page, one after the other (what the dashboard waits for)" % label,
                             Timed.summary(totals), fmt_ms(cpu * len(timings) * 1e3) + " ms"))

            one_run, cpu = timed("/api/v1/tags?" + urllib.parse.urlencode({"run": runs[len(runs) // 2]}))
            rows.append(("GET /api/v1/tags?run=R (one run's %d tags)" % args.tags, one_run.text(), cpu))

            # Rows, and the columns the dashboard asks for (format=columns; skipped on a vizd without it).
            chosen = runs[:long_runs]
            one = "/api/v1/scalars?" + urllib.parse.urlencode([("tag", "tag000"), ("run", runs[0]), ("format", "columns")])
            forms = [("rows", [])] + ([("columns", [("format", "columns")])] if server.request("GET", one)[0] == 200 else [])
            for tag, steps in (("tag000", args.steps), ("long", LONG_STEPS)):
                for form, extra in forms:
                    t, cpu = timed("/api/v1/scalars?" + urllib.parse.urlencode(
                        [("tag", tag)] + [("run", r) for r in chosen] + [("points", 1000)] + extra))
                    answer = json.loads(t.body)["series"]
                    n = sum(len(s["points"]) if "points" in s else len(s["steps"]) for s in answer)
                    rows.append(("GET /api/v1/scalars, one tag over %d runs x %s steps, points=1000, %s (%s points "
                                 "back, %.2f MB)" % (len(chosen), format(steps, ","), form, format(n, ","),
                                                     len(t.body) / 1e6), t.text(), cpu))
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    print()
    print("load average at the end (other work on the machine): %.1f %.1f %.1f" % os.getloadavg())
    print("| request (%d runs x %d tags) | time: median of the repeats (range) | vizd's CPU per request |"
          % (args.runs, args.tags))
    print("|---|---|---|")
    for row in rows:
        print("| %s | %s | %s |" % row)


if __name__ == "__main__":
    main()
