"""test_big_and_small.py -- big requests must not stall small ones (issue 9).

While 8 clients keep posting writes of 200,000 distinct tags (6.8 MB each; refused past 10,000 distinct
tags, after their body was read and parsed), one-point writes and /healthz keep being answered quickly:
p99 under 100 ms and 50 ms. Loopback only, bounded: 200 small requests of each kind, the big writers stop
with them.
"""

import http.client
import json
import math
import threading
import time

import pytest

BIG_WRITERS = 8
SMALL_REQUESTS = 200  # enough that p99 is a percentile (the 198th of 200), not the single slowest


def percentile(samples, q):
    """Nearest-rank percentile: the smallest sample with at least q of all samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@pytest.mark.slow
def test_one_point_writes_and_healthz_stay_fast_while_eight_huge_writes_run(vizd):
    port = vizd.port
    big = json.dumps({"run": "big", "scalars": [{"tag": "t%06d" % i, "value": 1.0}
                                                for i in range(200_000)]}).encode()
    stop = threading.Event()
    big_answers = []

    def big_writer():
        while not stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("POST", "/api/v1/write", body=big, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            big_answers.append(resp.status)
            conn.close()

    def small(kind, latencies):
        for i in range(SMALL_REQUESTS):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            started = time.monotonic()
            if kind == "write":
                conn.request("POST", "/api/v1/write", headers={"Content-Type": "application/json"},
                             body=json.dumps({"run": "small", "scalars": [{"tag": "x", "step": i, "value": i}]}))
            else:
                conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            latencies.append(time.monotonic() - started)
            assert resp.status == 200, resp.status
            conn.close()
            time.sleep(0.01)

    writers = [threading.Thread(target=big_writer) for _ in range(BIG_WRITERS)]
    for t in writers:
        t.start()
    time.sleep(1.0)  # every big writer is sending or being parsed
    writes, health = [], []
    smalls = [threading.Thread(target=small, args=("write", writes)),
              threading.Thread(target=small, args=("healthz", health))]
    for t in smalls:
        t.start()
    for t in smalls:
        t.join()
    stop.set()
    for t in writers:
        t.join()
    assert len(big_answers) >= BIG_WRITERS and set(big_answers) == {413}, big_answers
    assert len(writes) == len(health) == SMALL_REQUESTS
    assert vizd.client.series("x", "small")["total"] == SMALL_REQUESTS
    write_p99, health_p99 = percentile(writes, 0.99), percentile(health, 0.99)
    assert write_p99 < 0.100 and health_p99 < 0.050, (
        "one-point write p99 %.1f ms (limit 100), /healthz p99 %.1f ms (limit 50)"
        % (write_p99 * 1e3, health_p99 * 1e3))
