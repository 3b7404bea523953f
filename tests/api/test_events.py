"""test_events.py -- GET /api/v1/events: one Server-Sent Event per committed write.

A subscriber opens the stream on a raw socket (harness.EventStream), then the test writes and reads
`event: write` with the run, kinds, tags and largest step. A refused write publishes nothing, and an
open stream must not keep the daemon from stopping on SIGTERM.
"""

import time

import pytest

from harness import EventStream


def subscribe(vizd):
    stream = EventStream(vizd.port)
    try:
        stream.read_headers(timeout=1)
    except TimeoutError:
        pass  # a server may hold the headers back until the first event; next_event() reads them then
    return stream


def test_the_events_stream_is_text_event_stream(vizd):
    with subscribe(vizd) as stream:
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
        stream.next_event()
        assert stream.status == 200
        assert stream.headers["content-type"].split(";")[0].strip() == "text/event-stream"


def test_a_write_publishes_a_write_event_with_run_kinds_tags_and_last_step(vizd):
    with subscribe(vizd) as stream:
        vizd.client.write_ok({"run": "mnist/lr=0.1", "scalars": [
            {"tag": "train/loss", "step": 100, "value": 0.25},
            {"tag": "train/acc", "steps": [1, 2, 3], "values": [0.1, 0.2, "NaN"]}]})
        name, data = stream.next_event()
        assert name == "write"
        assert data["run"] == "mnist/lr=0.1"
        assert data["kinds"] == ["scalars"]
        assert sorted(data["tags"]) == ["train/acc", "train/loss"]
        assert data["last_step"] == 100


def test_the_event_carries_the_steps_the_server_assigned(vizd):
    vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "steps": [0, 1, 2, 3, 4], "values": [0] * 5}]})
    with subscribe(vizd) as stream:
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "value": 1.0}, {"tag": "t", "value": 2.0}]})
        name, data = stream.next_event()
        assert (name, data["run"], data["tags"], data["last_step"]) == ("write", "r", ["t"], 6)


def test_each_committed_write_publishes_its_own_event_in_order(vizd):
    with subscribe(vizd) as stream:
        for i in range(3):
            vizd.client.write_ok({"run": "run%d" % i, "scalars": [{"tag": "t", "step": i * 10, "value": 1.0}]})
        seen = [stream.next_event() for _ in range(3)]
        assert [(n, d["run"], d["last_step"]) for n, d in seen] == [("write", "run0", 0), ("write", "run1", 10),
                                                                    ("write", "run2", 20)]


def test_a_refused_write_publishes_no_event(vizd):
    with subscribe(vizd) as stream:
        bad = vizd.client.write({"run": "bad", "scalars": [{"tag": "t", "step": 0, "value": "oops"}]})
        assert bad.status == 400
        vizd.client.write_ok({"run": "good", "scalars": [{"tag": "t", "step": 1, "value": 1.0}]})
        name, data = stream.next_event()
        assert (name, data["run"]) == ("write", "good")


def test_every_subscriber_receives_the_event(vizd):
    with subscribe(vizd) as first, subscribe(vizd) as second:
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 5, "value": 1.0}]})
        for stream in (first, second):
            name, data = stream.next_event()
            assert (name, data["run"], data["last_step"]) == ("write", "r", 5)


def test_a_closed_subscriber_does_not_disturb_writes_or_other_subscribers(vizd):
    gone = subscribe(vizd)
    gone.close()
    with subscribe(vizd) as stream:
        for i in range(3):
            vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": i, "value": 1.0}]})
        assert [stream.next_event()[1]["last_step"] for _ in range(3)] == [0, 1, 2]
    assert vizd.client.healthz().status == 200


def test_the_daemon_stops_promptly_on_sigterm_with_a_stream_open(vizd):
    with subscribe(vizd) as stream:
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
        stream.next_event()
        started = time.monotonic()
        assert vizd.stop(timeout=10) == 0, vizd.stderr
        assert time.monotonic() - started < 5


def test_many_open_streams_do_not_block_other_requests(vizd):
    # "An open stream holds no worker thread": with more streams open than any sane thread pool,
    # ordinary requests are still answered.
    streams = [EventStream(vizd.port) for _ in range(63)]
    streams.append(subscribe(vizd))
    try:
        assert vizd.client.healthz().status == 200
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
        assert vizd.client.runs()[0]["name"] == "r"
        assert streams[-1].next_event()[1]["run"] == "r"
    finally:
        for stream in streams:
            stream.close()


def cpu_ticks(pid):
    """User plus system CPU time of a process, in clock ticks (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_idle_open_streams_do_not_spin_a_core(vizd):
    # A stream with nothing to send is suspended, not polled: 32 idle streams for 1.5 s cost the
    # daemon next to no CPU. A busy loop would burn about 150 ticks (100 per second) in that time.
    streams = [EventStream(vizd.port) for _ in range(32)]
    try:
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": 0, "value": 1.0}]})
        time.sleep(0.3)
        before = cpu_ticks(vizd.proc.pid)
        time.sleep(1.5)
        spent = cpu_ticks(vizd.proc.pid) - before
        assert spent < 30, "%d CPU ticks in 1.5 s with idle streams open" % spent
    finally:
        for stream in streams:
            stream.close()


@pytest.mark.slow
def test_a_subscriber_that_falls_1024_events_behind_is_ended_not_silently_skipped(vizd):
    # A subscriber that does not read (a tiny receive buffer, and no reads) while 1,300 writes of ~15 KB
    # events go by: the stream must end (the browser then reconnects and refreshes) rather than jump
    # over the events it missed. What it did receive is every event up to some point, in order.
    import http.client
    tags = [("tag-%02d/" % i) + "x" * 240 for i in range(60)]  # 15 KB of tag names per event
    with EventStream(vizd.port, receive_buffer=4096) as stream:
        stream.read_headers()
        conn = http.client.HTTPConnection("127.0.0.1", vizd.port, timeout=30)
        try:
            for step in range(1300):
                body = b'{"run": "r", "scalars": [%s]}' % b",".join(
                    b'{"tag": "%s", "step": %d, "value": 1}' % (t.encode(), step) for t in tags)
                conn.request("POST", "/api/v1/write", body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                assert resp.status == 200
        finally:
            conn.close()
        steps = []
        ended = False
        try:
            while True:
                name, data = stream.next_event(timeout=5)
                steps.append(data["last_step"])
        except ConnectionError:
            ended = True
        except TimeoutError:
            pass
    assert ended, "the stream was not ended; it delivered %d events" % len(steps)
    assert steps == list(range(len(steps))), "events were skipped: %r" % steps[:20]
    assert len(steps) < 1300


def test_a_subscriber_that_keeps_up_is_not_ended(vizd):
    with subscribe(vizd) as stream:
        for step in range(1100):
            vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t", "step": step, "value": 1.0}]})
            assert stream.next_event()[1]["last_step"] == step


def test_an_event_lists_at_most_256_tags_and_says_when_there_were_more(vizd):
    with subscribe(vizd) as stream:
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t%03d" % i, "step": 0, "value": 1.0}
                                                      for i in range(300)] + [{"tag": "t000", "step": 1, "value": 2}]})
        _, data = stream.next_event()
        assert len(data["tags"]) == 256 == len(set(data["tags"]))
        assert data["more_tags"] is True
        vizd.client.write_ok({"run": "r", "scalars": [{"tag": "t%03d" % i, "step": 2, "value": 1.0}
                                                      for i in range(256)]})
        _, data = stream.next_event()
        assert len(data["tags"]) == 256
        assert "more_tags" not in data
