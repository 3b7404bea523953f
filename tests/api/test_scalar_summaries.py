"""test_scalar_summaries.py -- reduced answers read through the stored summaries are the exact M4 envelope.

vizd keeps an M4 summary of every block and of groups of blocks, and answers `points=N` from a few of
them per bucket plus the raw points of the blocks that straddle a bucket's border. Whatever it reads,
the answer must be the M4 reduction of every point: here an independent reduction, in Python, of the
`points=0` export (same text for the same double, so points compare as JSON) is the oracle, on random
series with irregular steps, NaN, infinities and many equal extremes, on random ranges and bucket
counts, after overwrites, gap fills that split blocks, one-point appends and a deleted run.
"""

import math
import random

import pytest


def number(value):
    return float(value) if isinstance(value, str) else value


def m4_oracle(points, first, last, buckets):
    """points: [step, wall, value] in step order within [first, last], the bucket layout's extent."""
    span = last - first + 1
    out, picks, bucket = [], None, None

    def close():
        if picks:
            out.extend(points[i] for i in sorted(set(picks.values())))

    for i, (step, _, value) in enumerate(points):
        b = (step - first) * buckets // span
        v = number(value)
        if b != bucket:
            close()
            bucket = b
            picks = {"first": i, "min": i, "max": i, "last": i}
            has_finite = not math.isnan(v)
            continue
        picks["last"] = i
        if math.isnan(v):
            continue
        if not has_finite:
            picks["min"] = picks["max"] = i
            has_finite = True
        elif v < number(points[picks["min"]][2]):
            picks["min"] = i
        elif v > number(points[picks["max"]][2]):
            picks["max"] = i
    close()
    return out


def random_value(rng):
    r = rng.randrange(40)
    if r == 0:
        return "NaN"
    if r == 1:
        return "Infinity"
    if r == 2:
        return "-Infinity"
    if r == 3:
        return rng.random() * 1e6
    return float(rng.randrange(9) - 4)


def write(client, run, steps, rng):
    for i in range(0, len(steps), 100_000):
        chunk = steps[i:i + 100_000]
        client.write_ok({"run": run, "scalars": [{"tag": "t", "steps": chunk,
                                                  "values": [random_value(rng) for _ in chunk]}]})


def check_random_queries(client, run, rng, queries):
    everything = client.series("t", run, points=0)["points"]
    series_first, series_last = everything[0][0], everything[-1][0]
    for _ in range(queries):
        start, end = sorted(rng.randint(series_first - 10, series_last + 10) for _ in range(2))
        if rng.randrange(6) == 0:
            start, end = series_first - 10, series_last + 10
        buckets = rng.choice([1, 2, 3, 10, 64, 333, 1000, rng.randint(1, 5000)])
        inside = [p for p in everything if start <= p[0] <= end]
        answer = client.series("t", run, points=buckets, start=start, end=end)
        assert answer["total"] == len(inside)
        if len(inside) <= buckets:
            assert answer["sampled"] is False
            assert answer["points"] == inside
            continue
        expected = m4_oracle(inside, max(series_first, start), min(series_last, end), buckets)
        assert answer["sampled"] is True
        assert answer["points"] == expected, (start, end, buckets)


@pytest.mark.slow
def test_reduced_answers_equal_the_m4_of_every_point_on_random_series(client):
    rng = random.Random(13)
    dense = list(range(300_000))
    sparse, step = [], -50_000
    for _ in range(60_000):
        sparse.append(step)
        step += rng.randint(1, 1000)
    write(client, "dense", dense, rng)
    write(client, "sparse", sparse, rng)
    check_random_queries(client, "dense", rng, 60)
    check_random_queries(client, "sparse", rng, 60)


@pytest.mark.slow
def test_reduced_answers_stay_exact_after_overwrites_gap_fills_one_point_appends_and_a_deleted_run(client):
    rng = random.Random(1313)
    evens = list(range(0, 200_000, 2))
    write(client, "r", evens, rng)
    write(client, "other", evens[:50_000], rng)
    for _ in range(10):  # overwrite a stretch of existing steps
        at = rng.randrange(len(evens) - 3000)
        write(client, "r", evens[at:at + rng.randint(1, 3000)], rng)
    for _ in range(10):  # fill gaps: blocks outgrow 1,024 points and split
        at = rng.randrange(len(evens) - 3000)
        write(client, "r", [s + 1 for s in evens[at:at + rng.randint(1, 3000)]], rng)
    for i in range(200):  # one point at a time after the end
        client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 200_000 + i, "value": random_value(rng)}]})
    check_random_queries(client, "r", rng, 60)
    assert client.delete("/api/v1/runs", params={"run": "other"}).status == 200
    write(client, "other", list(range(7_000)), rng)
    check_random_queries(client, "other", rng, 30)
    check_random_queries(client, "r", rng, 10)


def test_reduced_answers_stay_exact_on_a_series_with_spikes_overwrites_and_inserts(client):
    """Not marked slow, so the PostgreSQL run of the suite (which leaves slow tests out) checks its
    summaries too: 40,000 points reach the fifth summary level there (chunks of about 8 points, groups of
    8), and the spikes are single points a wrong summary would drop or misplace."""
    rng = random.Random(14)
    steps = list(range(0, 80_000, 2))
    write(client, "spiky", steps, rng)
    client.write_ok({"run": "spiky", "scalars": [{"tag": "t", "steps": [1_000, 33_334, 79_998],
                                                   "values": [1e300, -1e300, 5e299]}]})
    write(client, "spiky", steps[5_000:6_500], rng)               # overwrites in the middle
    write(client, "spiky", [s + 1 for s in steps[20_000:20_400]], rng)  # inserts before the end
    for i in range(20):                                             # one point at a time after the end
        client.write_ok({"run": "spiky", "scalars": [{"tag": "t", "value": random_value(rng)}]})
    check_random_queries(client, "spiky", rng, 12)
