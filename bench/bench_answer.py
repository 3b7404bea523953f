#!/usr/bin/env python3
"""bench_answer.py -- the dashboard's heaviest redraw: one tag over 20 runs x 50,000 steps, points=1000.

    python3 bench/bench_answer.py [--vizd build/vizd] [--repeats 30] [--save DIR]

Starts vizd on a fresh database (temporary directory, free 127.0.0.1 port), writes 20 runs of one tag,
50,000 steps each, with the values a training loop logs: float32 losses widened to double (17 digits
as doubles) and wall times with microseconds. Then asks for
  GET /api/v1/scalars?tag=loss&run=r00..r19&points=1000            (the row form)
  ... &format=columns                                               (steps and values)
  ... &format=columns&fields=step,value,wall_time                  (with wall times)
  ... &format=binary                                                (the dashboard's: steps and values)
  ... &format=binary&fields=step,value,wall_time                   (with wall times)
on one keep-alive connection, and prints per form the median and p90 answer time and the bytes,
uncompressed and gzip-compressed (Accept-Encoding: gzip, as a browser asks), and the points. A form vizd
does not offer (an older build) is reported and skipped. --save DIR keeps each form's answer as
DIR/FORM.answer for bench/bench_decode.mjs, which times the browser's side. This is not a test: it
asserts nothing, it measures.
"""
import argparse
import gzip
import http.client
import json
import os
import statistics
import struct
import sys
import tempfile
import time
from benchlib import free_port, machine_line, post_write, start_vizd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "api"))
from binary_columns import decode as decode_binary  # noqa: E402  (the decoder written from docs/API.md)

RUNS = 20
STEPS = 50000
CHUNK = 10000


def float32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def write_runs(port):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for r in range(RUNS):
        for start in range(0, STEPS, CHUNK):
            steps = list(range(start, start + CHUNK))
            # A decaying loss with noise, as float32; wall times 0.1 s apart with microsecond jitter.
            values = [float32(2.5 / (1 + s * 0.001) + ((s * 7919 + r * 104729) % 1000) * 1e-4) for s in steps]
            walls = [1764000000.0 + r * 3600 + s * 0.1 + ((s * 31) % 1000) * 1e-6 for s in steps]
            body = json.dumps({"run": "r%02d" % r, "scalars": [{"tag": "loss", "steps": steps, "values": values,
                                                                   "wall_times": walls}]})
            post_write(conn, body)
    conn.close()


def timed_requests(conn, path, headers, repeats):
    """The median and p90 of repeats answers (ms), and the last body."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)], body


def count_points(body):
    answer = decode_binary(body) if body[:4] == b"VZC1" else json.loads(body)
    return sum(len(s["points"]) if "points" in s else s.get("count", len(s.get("steps", []))) for s in answer["series"])


def measure(port, query, repeats):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    path = "/api/v1/scalars?tag=loss&points=1000&" + "&".join("run=r%02d" % r for r in range(RUNS)) + query
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        return None
    median, p90, body = timed_requests(conn, path, {}, repeats)
    gz_median, gz_p90, packed = timed_requests(conn, path, {"Accept-Encoding": "gzip"}, repeats)
    conn.close()
    assert gzip.decompress(packed) == body
    return {"median": median, "p90": p90, "bytes": len(body), "gz_median": gz_median, "gz_p90": gz_p90,
            "gz_bytes": len(packed), "points": count_points(body), "body": body}


FORMS = [("rows", ""), ("columns", "&format=columns"),
         ("columns+wall_time", "&format=columns&fields=step,value,wall_time"),
         ("binary", "&format=binary"), ("binary+wall_time", "&format=binary&fields=step,value,wall_time")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default="build/vizd")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--save", help="a folder to keep each form's answer in (FORM.answer)")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_vizd(args.vizd, os.path.join(tmp, "bench.sqlite"), port)
        try:
            write_runs(port)
            time.sleep(1.0)  # let the WAL checkpoint after the writes, as a dashboard's reads would find it
            for name, query in FORMS:
                got = measure(port, query, args.repeats)
                if got is None:
                    print("%-18s not offered by this vizd" % name)
                    continue
                print("%-18s %d runs x %d steps, points=1000: median %.1f ms, p90 %.1f ms, %d bytes (%.2f MB); "
                      "gzip: median %.1f ms, p90 %.1f ms, %d bytes (%.2f MB); %d points (%.1f bytes/point), "
                      "%d requests each"
                      % (name, RUNS, STEPS, got["median"], got["p90"], got["bytes"], got["bytes"] / 1e6,
                         got["gz_median"], got["gz_p90"], got["gz_bytes"], got["gz_bytes"] / 1e6, got["points"],
                         got["bytes"] / got["points"], args.repeats))
                if args.save:
                    os.makedirs(args.save, exist_ok=True)
                    with open(os.path.join(args.save, name + ".answer"), "wb") as f:
                        f.write(got["body"])
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
