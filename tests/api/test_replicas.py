"""test_replicas.py -- several vizd processes (replicas) on one PostgreSQL database.

Each test starts its replicas on a new database of the throwaway cluster (pgcluster.py) and talks HTTP to
them as a load balancer would send clients to any of them:

- writers hammer three replicas at once (same and different tags, steps given and omitted) for
  REPLICA_SECONDS; afterwards every acknowledged point is there exactly once, the steps the replicas
  assigned to one tag are 0..N-1 without a gap or a repeat, and each writer's own tag holds exactly what
  it was told was stored;
- a dashboard's event stream on one replica sees the writes made through the others within a bound;
- a run deleted through one replica is gone on all;
- a replica killed with SIGKILL while writing loses nothing it acknowledged;
- PostgreSQL restarted under load: writes in flight are answered 503 (or the connection fails), never a
  200 for a point that is not stored, and writing works again once it is back.

The hammering is bounded: loopback, a few writer threads, REPLICA_SECONDS (30 s; VIZD_REPLICA_SECONDS
sets another length).
"""

import json
import os
import random
import threading
import time

import pytest

import pgcluster
from harness import EventStream

REPLICA_SECONDS = float(os.environ.get("VIZD_REPLICA_SECONDS", "30"))


def start_replicas(vizd_factory, url, n):
    return [vizd_factory(db=url) for _ in range(n)]


def all_points(client, run, tag):
    """Every point of (run, tag), unreduced: [[step, wall_time, value], ...]."""
    resp = client.get("/api/v1/scalars", params={"run": run, "tag": tag, "points": "0"})
    assert resp.status == 200, resp.body
    return resp.json["series"][0]["points"]


def post_point(client, body):
    """Status of one write, or None when the connection failed (the daemon went away)."""
    try:
        return client.post("/api/v1/write", json_body=body).status
    except OSError:
        return None


class Writer(threading.Thread):
    """Writes one-point requests to one replica until stopped, keeping what was acknowledged (200):
    a value without a step to run "shared", tag "loss" (the server assigns the step; values are unique),
    a point at its own next step to its own tag, and now and then a columnar batch to its own tag."""

    def __init__(self, index, daemon, stop):
        super().__init__(daemon=True)
        self.index = index
        self.client = daemon.client
        self.stop = stop
        self.shared_acked = []   # values acknowledged on shared/loss
        self.own_acked = {}      # step -> value acknowledged on shared/own<index>
        self.failures = []       # statuses other than 200 (None: connection failed)
        self.seq = 0
        self.rng = random.Random(index)

    def one_write(self):
        self.seq += 1
        choice = self.rng.random()
        if choice < 0.5:
            value = self.index * 1_000_000 + self.seq
            status = post_point(self.client, {"run": "shared", "scalars": [{"tag": "loss", "value": value}]})
            if status == 200:
                self.shared_acked.append(value)
            return status
        if choice < 0.9:
            step = len(self.own_acked)
            status = post_point(self.client, {"run": "shared", "scalars": [
                {"tag": "own%d" % self.index, "step": step, "value": step * 0.5}]})
            if status == 200:
                self.own_acked[step] = step * 0.5
            return status
        first = len(self.own_acked)
        steps = list(range(first, first + 50))
        status = post_point(self.client, {"run": "shared", "scalars": [
            {"tag": "own%d" % self.index, "steps": steps, "values": [s * 0.5 for s in steps]}]})
        if status == 200:
            for s in steps:
                self.own_acked[s] = s * 0.5
        return status

    def run(self):
        while not self.stop.is_set():
            status = self.one_write()
            if status != 200:
                self.failures.append(status)


def check_acknowledged(client, writers):
    """Every acknowledged point is stored exactly once; assigned steps have no gap and no repeat."""
    shared = all_points(client, "shared", "loss")
    steps = [p[0] for p in shared]
    assert steps == list(range(len(steps))), "assigned steps must be 0..N-1 without gaps or repeats"
    stored = [p[2] for p in shared]
    assert len(stored) == len(set(stored)), "a point is stored twice"
    acked = [v for w in writers for v in w.shared_acked]
    missing = set(acked) - set(stored)
    assert not missing, "%d acknowledged points are missing, e.g. %r" % (len(missing), sorted(missing)[:5])
    for w in writers:
        own = {p[0]: p[2] for p in all_points(client, "shared", "own%d" % w.index)} if w.own_acked else {}
        for step, value in w.own_acked.items():
            assert own.get(step) == value, "writer %d: step %d acknowledged, stored %r" % (w.index, step,
                                                                                        own.get(step))
    return len(acked)


@pytest.mark.slow
def test_writers_hammering_three_replicas_lose_and_duplicate_nothing(vizd_factory, pg_url):
    replicas = start_replicas(vizd_factory, pg_url, 3)
    stop = threading.Event()
    writers = [Writer(i, replicas[i % 3], stop) for i in range(6)]
    for w in writers:
        w.start()
    time.sleep(REPLICA_SECONDS)
    stop.set()
    for w in writers:
        w.join(timeout=30)
    assert not any(w.failures for w in writers), [w.failures[:3] for w in writers]
    acked = check_acknowledged(replicas[1].client, writers)
    assert acked > 100, "the writers got too few writes through to prove anything"
    # Every replica answers the same.
    counts = [r.client.get("/api/v1/tags", params={"run": "shared"}).json for r in replicas]
    assert counts[0] == counts[1] == counts[2]


def subscribe(daemon):
    stream = EventStream(daemon.port)
    try:
        stream.read_headers(timeout=1)
    except TimeoutError:
        pass
    return stream


def test_a_dashboard_on_one_replica_sees_writes_made_through_the_others(vizd_factory, pg_url):
    a, b, c = start_replicas(vizd_factory, pg_url, 3)
    with subscribe(a) as stream:
        time.sleep(0.2)  # the listener of a fresh replica connects in the background
        for name, replica in (("via-b", b), ("via-c", c)):
            started = time.monotonic()
            replica.client.write_ok({"run": name, "scalars": [{"tag": "loss", "value": 1.0}]})
            event, data = stream.next_event(timeout=5)
            elapsed = time.monotonic() - started
            assert (event, data["run"], data["tags"], data["last_step"]) == ("write", name, ["loss"], 0)
            assert elapsed < 1.0, "the event took %.2f s to reach another replica" % elapsed


def test_a_replica_publishes_its_own_writes_once(vizd_factory, pg_url):
    a, b = start_replicas(vizd_factory, pg_url, 2)
    with subscribe(a) as stream:
        time.sleep(0.2)
        a.client.write_ok({"run": "own", "scalars": [{"tag": "t", "value": 1.0}]})
        b.client.write_ok({"run": "other", "scalars": [{"tag": "t", "value": 1.0}]})
        runs = [stream.next_event(timeout=5)[1]["run"] for _ in range(2)]
        assert sorted(runs) == ["other", "own"]
        with pytest.raises(TimeoutError):
            stream.next_event(timeout=0.5)


def test_a_run_deleted_on_one_replica_is_gone_on_all(vizd_factory, pg_url):
    a, b, c = start_replicas(vizd_factory, pg_url, 3)
    a.client.write_ok({"run": "doomed", "scalars": [{"tag": "t", "steps": [0, 1], "values": [1, 2]}]})
    with subscribe(c) as stream:
        time.sleep(0.2)
        assert b.client.delete("/api/v1/runs", params={"run": "doomed"}).status == 200
        event, data = stream.next_event(timeout=5)
        if event == "write":  # a's write, heard by c's listener after the stream opened
            event, data = stream.next_event(timeout=5)
        assert (event, data) == ("delete", {"run": "doomed"})
    for replica in (a, b, c):
        assert replica.client.get("/api/v1/runs").json["runs"] == []
        assert replica.client.get("/api/v1/scalars", params={"run": "doomed", "tag": "t"}).status == 404


@pytest.mark.slow
def test_a_replica_killed_while_writing_keeps_what_it_acknowledged(vizd_factory, pg_url):
    a, b = start_replicas(vizd_factory, pg_url, 2)
    stop = threading.Event()
    writers = [Writer(i, a if i < 2 else b, stop) for i in range(4)]
    for w in writers:
        w.start()
    time.sleep(min(REPLICA_SECONDS, 3))
    a.kill()
    time.sleep(0.5)
    stop.set()
    for w in writers:
        w.join(timeout=30)
    # The writers of the killed replica saw their connection fail, never an error answer; b's none.
    assert all(status is None for w in writers[:2] for status in w.failures)
    assert not any(w.failures for w in writers[2:])
    assert check_acknowledged(b.client, writers) > 10


@pytest.mark.slow
def test_postgresql_restarted_under_load_answers_503_never_a_false_200(vizd_factory):
    with pgcluster.Cluster() as cluster:  # a cluster of its own, to restart
        url = cluster.create_database()
        a, b = start_replicas(vizd_factory, url, 2)
        stop = threading.Event()
        writers = [Writer(i, (a, b)[i % 2], stop) for i in range(4)]
        for w in writers:
            w.start()
        time.sleep(1.0)
        cluster.restart(mode="fast")
        time.sleep(1.0)
        stop.set()
        for w in writers:
            w.join(timeout=30)
        failures = [s for w in writers for s in w.failures]
        assert failures, "the restart should have failed some writes"
        assert set(failures) <= {503, None}, "a failed write must be a 503: %r" % sorted(set(failures), key=str)
        # Reconnected: both replicas write again, and every acknowledged point is there.
        for replica in (a, b):
            replica.client.write_ok({"run": "after", "scalars": [{"tag": "t", "value": 1.0}]})
        check_acknowledged(a.client, writers)
        for replica in (a, b):  # before the cluster goes
            assert replica.stop() == 0


def test_a_password_in_the_connection_string_is_shown_nowhere(vizd_factory, pg_url):
    # The throwaway cluster trusts local connections, so any password connects; vizd must not repeat it.
    url = pg_url.replace("postgresql://postgres@", "postgresql://postgres:s3cret-pw@")
    daemon = vizd_factory(db=url)
    daemon.client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": 1.0}]})
    status = daemon.client.get("/api/v1/status").json
    assert status["db_path"].startswith("postgresql://postgres@127.0.0.1:")
    assert "s3cret" not in json.dumps(status)
    assert daemon.stop() == 0
    assert "s3cret" not in daemon.stderr and "PostgreSQL database" in daemon.stderr
