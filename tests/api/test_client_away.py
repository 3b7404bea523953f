"""test_client_away.py -- the Python client when vizd is away: training goes on and nothing logged is lost.

Real vizd daemons (started late, SIGKILLed and restarted, never started), real torch tensors, real
training processes killed with SIGKILL, and a stalled server (a socket that accepts, reads and never
answers). What is pinned down:

  - started with vizd down, brought up mid-run: every point of every kind (scalars, histograms, images,
    tensors, texts, the graph, hparams) is stored once per (tag, step) with its value, and the writer
    warned exactly once that vizd was unreachable and once that it was back;
  - vizd SIGKILLed mid-run and restarted 2 s later on the same port: nothing lost;
  - a training process SIGKILLed after flush() while vizd is down: `python -m vizd_client sync` delivers
    everything flushed; a spool whose last record is torn (or one damaged record in the middle) replays
    every complete record and says what it skipped;
  - a new SummaryWriter of the same run delivers the spool an earlier one left, and only that run's;
  - a wrong token keeps everything in the spool, and sync with the right one delivers it;
  - a forked child (a DataLoader worker) that logs gets its own thread; the parent's keeps working;
  - a stalled vizd does not stall the loop, and close() gives up after close_timeout_s;
  - vizd down for 100,000 add_scalar + 100 add_histogram + 10 add_image: nothing raised, resident
    memory bounded; the spool limit keeps the newest data and says once what it dropped; a spool that
    cannot be written (file size limit) is reported once and training goes on.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from harness import REPO_ROOT
from media_helpers import fetch_blob, items_of

CLIENT_DIR = os.path.join(REPO_ROOT, "clients", "python")
sys.path.insert(0, CLIENT_DIR)

from vizd_client import SummaryWriter, VizdWarning  # noqa: E402


@pytest.fixture(autouse=True)
def spool_in_tmp_path(tmp_path, monkeypatch):
    """Writers spool under tmp_path, never in the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def url_of(daemon):
    return "http://127.0.0.1:%d" % daemon.port


def points_of(client, run, tag):
    return [(p[0], p[2]) for p in client.series(tag, run, points=0)["points"]]


def histogram_steps(client, run, tag):
    resp = client.get("/api/v1/histograms", params={"tag": tag, "run": run, "steps": 0})
    assert resp.status == 200, resp
    (series,) = resp.json["series"]
    return series["steps"]


def start_on_its_port(daemon):
    """Start (again) on the port the writer was given: the harness would move a restarted daemon to a
    fresh port, and a writer keeps its URL."""
    assert daemon._start_once(timeout=15), "the port %d was taken meanwhile" % daemon.port


def sync(spool_dir, url):
    return subprocess.run([sys.executable, "-m", "vizd_client", "sync", "--url", url, str(spool_dir)],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=CLIENT_DIR))


def delivery_warnings(caught):
    return [str(w.message) for w in caught if issubclass(w.category, VizdWarning)]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.conv(x).mean(dim=(2, 3)))


def log_step(writer, step, model):
    """One training step's logging, of every kind, all with explicit steps."""
    writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    writer.add_scalars("acc", {"train": step * 0.01, "val": step * 0.02}, step)
    if step % 10 == 0:
        writer.add_histogram("conv.weight", model.conv.weight + step, step)
        writer.add_image("input", torch.full((3, 4, 5), (step % 7) / 7.0), step)
        writer.add_tensor("fc.weight", model.fc.weight * step, step, display={"kind": "heatmap"})
        writer.add_text("notes", "step %d" % step, step)


def assert_every_step_stored(client, run, model, steps):
    assert points_of(client, run, "train/loss") == [(s, 1.0 / (s + 1)) for s in steps]
    assert points_of(client, run, "acc/train") == [(s, s * 0.01) for s in steps]
    assert points_of(client, run, "acc/val") == [(s, s * 0.02) for s in steps]
    every_10th = [s for s in steps if s % 10 == 0]
    hist = histogram_steps(client, run, "conv.weight")
    assert [h["step"] for h in hist] == every_10th
    assert [h["sum"] for h in hist] == pytest.approx([float((model.conv.weight.detach() + s).double().sum()) for s in every_10th])
    images = items_of(client, "images", "input", run)
    assert [(i["step"], i["index"]) for i in images] == [(s, 0) for s in every_10th]
    tensors = items_of(client, "tensors", "fc.weight", run)
    assert [t["step"] for t in tensors] == every_10th
    last = tensors[-1]
    expected = (model.fc.weight * every_10th[-1]).detach().numpy().astype("<f4").tobytes()
    assert fetch_blob(client, last["url"]).body == expected and last["display"] == {"kind": "heatmap"}
    texts = items_of(client, "texts", "notes", run)
    assert [(t["step"], t["text"]) for t in texts] == [(s, "step %d" % s) for s in every_10th]


# ---- vizd away, then back ------------------------------------------------------------------------

def test_training_started_with_vizd_down_delivers_every_kind_once_when_it_comes_up(vizd_factory, tmp_path):
    daemon = vizd_factory(start=False)
    torch.manual_seed(0)
    model = Net()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer = SummaryWriter("run", url=url_of(daemon), flush_secs=0.2, max_queue=50, retry_delay_s=0.05,
                               retries=0, spool_dir=tmp_path / "spool")
        writer.add_graph(model, torch.rand(1, 3, 8, 8))
        for step in range(150):
            log_step(writer, step, model)
        time.sleep(0.5)  # the writer has met the closed port and spooled
        assert os.listdir(tmp_path / "spool")
        daemon.start()
        for step in range(150, 300):
            log_step(writer, step, model)
        writer.add_hparams({"lr": 0.1, "opt": "sgd"}, {"hparam/best": 0.75}, global_step=299)
        writer.close()
    client = daemon.client
    assert_every_step_stored(client, "run", model, list(range(300)))
    (run,) = client.runs()
    assert run["hparams"] == {"lr": 0.1, "opt": "sgd", "metrics": ["hparam/best"]} and run["counts"]["graph"] == 1
    assert points_of(client, "run", "hparam/best") == [(299, 0.75)]
    messages = delivery_warnings(caught)
    away = [m for m in messages if "cannot be reached" in m]
    back = [m for m in messages if "is back (it was away since" in m]
    assert len(away) == 1 and len(back) == 1 and len(messages) == 2, messages
    assert url_of(daemon) in away[0] and str(tmp_path / "spool") in away[0]
    assert os.listdir(tmp_path / "spool") == []  # delivered, so deleted


@pytest.mark.slow
def test_vizd_killed_mid_run_and_restarted_2s_later_loses_nothing(vizd_factory, tmp_path):
    daemon = vizd_factory()
    torch.manual_seed(1)
    model = Net()
    writer = SummaryWriter("run", url=url_of(daemon), flush_secs=0.1, max_queue=20, retry_delay_s=0.05,
                           retries=0, spool_dir=tmp_path / "spool")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VizdWarning)
        step = 0
        for step in range(100):
            log_step(writer, step, model)
            time.sleep(0.002)
        daemon.kill()
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < 2.0:  # training goes on while vizd is gone
            step += 1
            log_step(writer, step, model)
            time.sleep(0.01)
        start_on_its_port(daemon)
        for _ in range(100):
            step += 1
            log_step(writer, step, model)
        writer.close()
    assert_every_step_stored(daemon.client, "run", model, list(range(step + 1)))
    assert os.listdir(tmp_path / "spool") == []


# ---- a killed training process, and sync ------------------------------------------------------------

TRAINING_SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import torch
from vizd_client import SummaryWriter
writer = SummaryWriter("killed", url=sys.argv[2], spool_dir=sys.argv[3], flush_secs=0.1, max_queue=100,
                       retries=0, retry_delay_s=0.05)
torch.manual_seed(2)
weights = torch.randn(1000)
for step in range(5000):
    writer.add_scalar("loss", step * 0.5, step)
    if step % 500 == 0:
        writer.add_histogram("w", weights * step, step)
        writer.add_image("img", torch.full((1, 3, 3), step / 5000.0), step)
        writer.add_text("notes", "step %d" % step, step)
writer.flush()
print("flushed", flush=True)
for step in range(5000, 6000):   # logged after the flush: may or may not survive the kill
    writer.add_scalar("loss", step * 0.5, step)
time.sleep(60)
"""


@pytest.mark.slow
def test_a_training_process_killed_after_flush_with_vizd_down_is_delivered_by_sync(vizd_factory, tmp_path):
    daemon = vizd_factory(start=False)
    spool_dir = tmp_path / "spool"
    proc = subprocess.Popen([sys.executable, "-c", TRAINING_SCRIPT, CLIENT_DIR, url_of(daemon), str(spool_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "flushed", proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    (spool,) = os.listdir(spool_dir)
    daemon.start()
    done = sync(spool_dir, url_of(daemon))
    assert done.returncode == 0, done.stderr
    assert "sync: spool 1/1 (run 'killed')" in done.stderr  # the progress line
    said = re.search(r"sync: sent ([0-9,]+) scalar points, 10 histograms, 10 images, 10 texts from 1 spool\(s\)",
                     done.stderr)
    assert said, done.stderr
    loss = points_of(daemon.client, "killed", "loss")
    assert int(said.group(1).replace(",", "")) == len(loss) >= 5000
    assert loss[:5000] == [(s, s * 0.5) for s in range(5000)]
    assert all(value == s * 0.5 for s, value in loss[5000:])  # a complete later record may have made it
    every_500 = list(range(0, 5000, 500))
    assert [h["step"] for h in histogram_steps(daemon.client, "killed", "w")] == every_500
    assert [i["step"] for i in items_of(daemon.client, "images", "img", "killed")] == every_500
    assert [(t["step"], t["text"]) for t in items_of(daemon.client, "texts", "notes", "killed")] == \
        [(s, "step %d" % s) for s in every_500]
    assert os.listdir(spool_dir) == []


def spool_with_records(spool_dir, url, run="torn"):
    """A writer that cannot reach vizd spools 10 records of 100 points (steps 0..999), then one text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VizdWarning)
        writer = SummaryWriter(run, url=url, spool_dir=spool_dir, max_queue=100, flush_secs=600, retries=0,
                               close_timeout_s=0)
        for step in range(1000):
            writer.add_scalar("loss", float(step), step)
            if step % 100 == 99:
                writer.flush()  # each hundred is its own record in the spool
        writer.add_text("notes", "the last record", 0)
        writer.close()
    (name,) = os.listdir(spool_dir)
    return os.path.join(spool_dir, name)


def test_a_spool_with_a_torn_last_record_replays_every_complete_record(vizd_factory, tmp_path):
    daemon = vizd_factory(start=False)
    path = spool_with_records(tmp_path / "spool", url_of(daemon))
    with open(path, "r+b") as f:  # the process died while appending the text record
        f.truncate(os.path.getsize(path) - 5)
    daemon.start()
    done = sync(tmp_path / "spool", url_of(daemon))
    assert done.returncode == 0, done.stderr
    assert "unreadable bytes" in done.stderr
    assert points_of(daemon.client, "torn", "loss") == [(s, float(s)) for s in range(1000)]
    assert "texts" not in daemon.client.tags(run="torn")["torn"] or not daemon.client.tags(run="torn")["torn"]["texts"]
    assert os.listdir(tmp_path / "spool") == []


def test_a_damaged_record_in_the_middle_costs_only_itself(vizd_factory, tmp_path):
    daemon = vizd_factory(start=False)
    path = spool_with_records(tmp_path / "spool", url_of(daemon))
    data = bytearray(open(path, "rb").read())
    fifth = data.find(b'"steps":[400')  # a byte inside the record of steps 400..499
    assert fifth > 0
    data[fifth + 10] ^= 0x01
    open(path, "wb").write(bytes(data))
    daemon.start()
    done = sync(tmp_path / "spool", url_of(daemon))
    assert done.returncode == 0, done.stderr
    assert points_of(daemon.client, "torn", "loss") == [(s, float(s)) for s in range(1000) if not 400 <= s < 500]
    (text,) = items_of(daemon.client, "texts", "notes", "torn")
    assert text["text"] == "the last record"


def test_sync_with_vizd_still_down_keeps_the_spool_and_says_so(vizd_factory, tmp_path):
    daemon = vizd_factory(start=False)
    path = spool_with_records(tmp_path / "spool", url_of(daemon))
    size = os.path.getsize(path)
    done = sync(tmp_path / "spool", url_of(daemon))
    assert done.returncode == 1
    assert "cannot be reached" in done.stderr and url_of(daemon) in done.stderr
    assert os.path.getsize(path) == size


def test_a_new_writer_of_the_same_run_delivers_what_an_earlier_one_left(vizd_factory, tmp_path):
    daemon = vizd_factory(start=False)
    spool_dir = tmp_path / "spool"
    spool_with_records(spool_dir, url_of(daemon), run="resumed")
    other = spool_with_records(tmp_path / "other", url_of(daemon), run="another run")
    os.rename(other, os.path.join(spool_dir, os.path.basename(other)))
    daemon.start()
    with SummaryWriter("resumed", url=url_of(daemon), spool_dir=spool_dir) as writer:
        writer.add_scalar("loss", -1.0, 1000)
    assert points_of(daemon.client, "resumed", "loss") == [(s, float(s)) for s in range(1000)] + [(1000, -1.0)]
    assert [run["name"] for run in daemon.client.runs()] == ["resumed"]
    assert os.listdir(spool_dir) == [os.path.basename(other)]


def test_a_wrong_token_keeps_the_data_in_the_spool_until_sync_brings_the_right_one(vizd_factory, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-of-this-test\n")
    daemon = vizd_factory(args=("--token-file", str(token_file)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with SummaryWriter("tokened", url=url_of(daemon), token="wrong-token-here", spool_dir=tmp_path / "spool", retries=0,
                           close_timeout_s=2) as writer:
            for step in range(100):
                writer.add_scalar("loss", float(step), step)
    messages = delivery_warnings(caught)
    assert any("refused the token" in m for m in messages), messages
    assert daemon.client.runs() == []
    done = subprocess.run([sys.executable, "-m", "vizd_client", "sync", "--token-file", str(token_file),
                           str(tmp_path / "spool")], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=CLIENT_DIR))
    assert done.returncode == 0, done.stderr
    assert points_of(daemon.client, "tokened", "loss") == [(s, float(s)) for s in range(100)]


FORK_SCRIPT = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
from vizd_client import SummaryWriter
writer = SummaryWriter("forked", url=sys.argv[2], spool_dir=sys.argv[3])
writer.add_scalar("parent", 1.0, 0)
pid = os.fork()
if pid == 0:                       # a DataLoader worker that logs: its own thread, its own spool
    writer.add_scalar("child", 2.0, 0)
    writer.close()
    os._exit(0)
os.waitpid(pid, 0)
writer.add_scalar("parent", 3.0, 1)
writer.close()
"""


def test_a_forked_child_logs_through_its_own_thread_and_the_parent_keeps_its_own(vizd, tmp_path):
    proc = subprocess.run([sys.executable, "-c", FORK_SCRIPT, CLIENT_DIR, url_of(vizd), str(tmp_path / "spool")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert points_of(vizd.client, "forked", "parent") == [(0, 1.0), (1, 3.0)]
    assert points_of(vizd.client, "forked", "child") == [(0, 2.0)]


# ---- a stalled vizd ---------------------------------------------------------------------------------

class StalledServer:
    """Accepts connections and reads whatever comes, never answering."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self.bytes_read = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                self.bytes_read += len(data)
        except OSError:
            return

    def close(self):
        self.sock.close()
        for conn in self.connections:
            conn.close()


def test_a_stalled_vizd_does_not_stall_training_and_close_gives_up_after_close_timeout(vizd_factory, tmp_path):
    stalled = StalledServer()
    try:
        writer = SummaryWriter("stalled", url="http://127.0.0.1:%d" % stalled.port, spool_dir=tmp_path / "spool",
                               timeout_s=30, max_queue=100, flush_secs=0.1, close_timeout_s=1)
        started = time.monotonic()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for step in range(3000):
                writer.add_scalar("loss", float(step), step)
                if step % 300 == 0:
                    writer.add_histogram("h", np.arange(100.0) + step, step)
                    writer.add_image("img", np.zeros((4, 4), np.uint8) + step % 256, step, dataformats="HW")
            looped = time.monotonic()
            writer.close()
        closed = time.monotonic()
        # A send that waited on the stalled socket would take timeout_s = 30 s; these bounds are generous.
        assert looped - started < 15 and closed - looped < 10
        assert stalled.bytes_read > 0  # the writer did try to talk to it
        assert any("stay in the spool" in m for m in delivery_warnings(caught))
    finally:
        stalled.close()
    daemon = vizd_factory()
    done = sync(tmp_path / "spool", url_of(daemon))
    assert done.returncode == 0, done.stderr
    assert points_of(daemon.client, "stalled", "loss") == [(s, float(s)) for s in range(3000)]
    assert [h["step"] for h in histogram_steps(daemon.client, "stalled", "h")] == list(range(0, 3000, 300))


# ---- bounded memory and disk ------------------------------------------------------------------------

MEMORY_SCRIPT = r"""
import resource, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from vizd_client import SummaryWriter
values = np.random.default_rng(0).normal(size=250000)          # 2 MB per histogram sent
image = (np.random.default_rng(1).random((3, 256, 256)) * 255).astype(np.uint8)
writer = SummaryWriter("memory", url=sys.argv[2], spool_dir=sys.argv[3], spool_limit_bytes=64 << 20, retries=0)
writer.add_scalar("warm-up", 0.0, 0)
before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for step in range(100000):
    writer.add_scalar("loss", step * 0.001, step)
    if step % 1000 == 0:
        writer.add_histogram("w", values, step)
    if step % 10000 == 0:
        writer.add_image("img", image, step)
after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
writer.close()
print(before_kb, after_kb, sorted(writer.dropped_counts()))
"""


@pytest.mark.slow
def test_vizd_down_for_100k_scalars_100_histograms_10_images_raises_nothing_and_memory_stays_bounded(vizd_factory, tmp_path):
    daemon = vizd_factory(start=False)
    proc = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, CLIENT_DIR, url_of(daemon), str(tmp_path / "spool")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    before_kb, after_kb, _ = proc.stdout.split(" ", 2)
    growth_mb = (int(after_kb) - int(before_kb)) / 1024
    # Kept in memory, the histograms alone would be 200 MB; the writer holds at most 32 MiB of records.
    assert growth_mb < 80, (growth_mb, proc.stderr)
    assert "Traceback" not in proc.stderr


def test_the_spool_limit_keeps_the_newest_data_and_says_once_what_it_dropped(vizd_factory, tmp_path):
    daemon = vizd_factory(start=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer = SummaryWriter("limited", url=url_of(daemon), spool_dir=tmp_path / "spool", max_queue=100,
                               spool_limit_bytes=100000, retries=0, close_timeout_s=0)
        for step in range(20000):
            writer.add_scalar("loss", float(step), step)
        writer.close()
    dropped = writer.dropped_counts()["scalars"]
    assert 0 < dropped < 20000
    messages = [m for m in delivery_warnings(caught) if "dropped the oldest" in m]
    assert len(messages) == 1, delivery_warnings(caught)
    assert "100000 bytes" in messages[0] and "scalar points" in messages[0]
    assert os.path.getsize(os.path.join(tmp_path / "spool", os.listdir(tmp_path / "spool")[0])) <= 100000 + 4096
    daemon.start()
    assert sync(tmp_path / "spool", url_of(daemon)).returncode == 0
    assert points_of(daemon.client, "limited", "loss") == [(s, float(s)) for s in range(dropped, 20000)]


DISK_FULL_SCRIPT = r"""
import resource, signal, sys, warnings
sys.path.insert(0, sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)       # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
from vizd_client import SummaryWriter
warnings.simplefilter("always")
writer = SummaryWriter("full", url=sys.argv[2], spool_dir=sys.argv[3], max_queue=100, retries=0, close_timeout_s=0)
for step in range(20000):
    writer.add_scalar("loss", float(step), step)
writer.flush()
writer.close()
print("trained to the end")
"""


def test_a_spool_that_cannot_be_written_is_reported_once_and_training_goes_on(vizd_factory, tmp_path):
    daemon = vizd_factory(start=False)
    proc = subprocess.run([sys.executable, "-c", DISK_FULL_SCRIPT, CLIENT_DIR, url_of(daemon), str(tmp_path / "spool")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "trained to the end"
    assert proc.stderr.count("cannot write the spool") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
