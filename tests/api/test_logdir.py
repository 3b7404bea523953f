"""test_logdir.py -- `vizd --logdir DIR`: event files followed live while real writers keep writing.

A torch.utils.tensorboard or tensorboardX SummaryWriter runs in a subprocess, writing in rounds it is told
to write; vizd follows the logdir (through inotify, or polling with --logdir-poll-ms). What the writer has
put on disk is counted by TensorBoard's own reader (EventFileLoader), independently of vizd, and must be
served by vizd within 2 s. Restart safety: vizd is SIGKILLed mid-import and started again; what the killed
process had committed (read from the real SQLite file) plus what the restart reads equals what the files
hold, exactly. Files truncated and rewritten in place, new run directories and 1,000 run directories.
"""

import glob
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from harness import EventStream, wait_for

SERVE_WITHIN_S = 2.0  # the bound: a flushed point is served within this

WRITER_SCRIPT = textwrap.dedent("""
    import sys
    kind, logdir = sys.argv[1], sys.argv[2]
    if kind == "torch":
        from torch.utils.tensorboard import SummaryWriter
    else:
        from tensorboardX import SummaryWriter
    writer = SummaryWriter(logdir)
    step = 0
    for line in sys.stdin:
        words = line.split()
        if words[0] == "close":
            break
        for _ in range(int(words[1])):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
            writer.add_scalar("acc", step * 0.25, step)
            step += 1
        writer.flush()
        print("flushed", step, flush=True)
    writer.close()
    print("closed", flush=True)
""")


def disk_counts(logdir):
    """{(run, tag): number of scalar values} as TensorBoard's own reader finds them in logdir's files."""
    counts = {}
    for path in glob.glob(os.path.join(str(logdir), "**", "events.out.tfevents.*"), recursive=True):
        run = os.path.relpath(os.path.dirname(path), str(logdir))
        run = os.path.basename(str(logdir)) if run == "." else run
        for event in EventFileLoader(path).Load():
            for value in event.summary.value:
                counts[(run, value.tag)] = counts.get((run, value.tag), 0) + 1
    return counts


def served_counts(client):
    tags = client.get("/api/v1/tags").json["runs"]
    return {(run, tag): info["count"] for run, kinds in tags.items()
            for tag, info in kinds.get("scalars", {}).items()}


class Writer:
    """A SummaryWriter in a subprocess, writing rounds of steps when told to."""

    def __init__(self, kind, logdir):
        self.proc = subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, kind, str(logdir)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def write(self, steps):
        self.proc.stdin.write("write %d\n" % steps)
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().startswith("flushed")

    def close(self):
        self.proc.stdin.write("close\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().startswith("closed")
        self.proc.wait(timeout=30)


@pytest.mark.parametrize("watch", ["inotify", "poll"])
@pytest.mark.parametrize("kind", ["torch", "tensorboardX"])
def test_points_a_writer_flushed_are_served_within_2_s(vizd_factory, tmp_path, kind, watch):
    logdir = tmp_path / "runs"
    (logdir / "train").mkdir(parents=True)
    args = ["--logdir", str(logdir)] + (["--logdir-poll-ms", "200"] if watch == "poll" else [])
    vizd = vizd_factory(args=args)
    writer = Writer(kind, logdir / "train")
    try:
        with EventStream(vizd.port) as stream:
            written = 0
            for steps in (5, 40, 200):
                writer.write(steps)
                written += steps
                on_disk = disk_counts(logdir)
                if kind == "torch":  # torch's flush() is a barrier; tensorboardX's leaves its queue behind
                    assert on_disk[("train", "loss")] == written
                served = wait_for(lambda: all(served_counts(vizd.client).get(k, 0) >= n
                                              for k, n in on_disk.items()), SERVE_WITHIN_S)
                assert served, "not served within %ss: %r vs %r" % (SERVE_WITHIN_S, served_counts(vizd.client),
                                                                    on_disk)
            # The first write may be the file's header alone (its offset saved, no tags yet).
            name, data = stream.next_event(timeout=5)
            while name != "write" or not data["tags"]:
                name, data = stream.next_event(timeout=5)
            assert data["run"] == "train" and set(data["tags"]) <= {"loss", "acc"}
        writer.close()
        final = disk_counts(logdir)
        assert final[("train", "loss")] == written
        assert wait_for(lambda: served_counts(vizd.client) == final, SERVE_WITHIN_S), \
            (served_counts(vizd.client), final)
    finally:
        if writer.proc.poll() is None:
            writer.proc.kill()


def test_a_new_run_directory_is_followed(vizd_factory, tmp_path):
    logdir = tmp_path / "runs"
    logdir.mkdir()
    vizd = vizd_factory(args=["--logdir", "exp:" + str(logdir)])
    writer = Writer("torch", logdir / "later" / "deep")
    try:
        writer.write(10)
        assert wait_for(lambda: served_counts(vizd.client).get(("exp/later/deep", "loss")) == 10, SERVE_WITHIN_S)
    finally:
        writer.close()


def write_logdir(path, kind, runs, steps):
    code = textwrap.dedent("""
        import sys
        from %s import SummaryWriter
        for r in range(%d):
            with SummaryWriter(sys.argv[1] + "/run%%03d" %% r) as w:
                for s in range(%d):
                    w.add_scalar("loss", s * 0.5, s)
                    w.add_scalar("acc", s * 0.25, s)
    """ % ("torch.utils.tensorboard" if kind == "torch" else "tensorboardX", runs, steps))
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)


def stored_points(db_path):
    """Scalar points in the database file itself (a killed vizd answers no HTTP)."""
    with sqlite3.connect(str(db_path)) as db:
        return db.execute("SELECT coalesce(sum(count), 0) FROM series WHERE kind = 'scalars'").fetchone()[0]


@pytest.mark.slow
def test_sigkill_mid_import_then_restart_reads_each_record_exactly_once(vizd_factory, tmp_path):
    logdir = tmp_path / "runs"
    write_logdir(logdir, "tensorboardX", runs=6, steps=15000)
    expected = disk_counts(logdir)
    total = sum(expected.values())
    db = tmp_path / "kill.sqlite"
    vizd = vizd_factory(db=db, args=["--logdir", str(logdir)])
    assert wait_for(lambda: vizd.client.get("/api/v1/status").json["scalar_points"] > 0, 30, interval=0.005)
    vizd.kill()
    before = stored_points(db)
    assert 0 < before < total, "the import was not caught in the middle (%d of %d)" % (before, total)
    vizd.start()
    assert wait_for(lambda: served_counts(vizd.client) == expected, 60), (served_counts(vizd.client), expected)
    # What the restart read, by its own account, is exactly what the killed process had not committed.
    line = wait_for(lambda: [l for l in vizd.stderr.splitlines() if "--logdir: read" in l][-1:], 10)
    assert ("%d scalars" % (total - before)) in line[0], (line, total, before)


def test_a_file_truncated_and_rewritten_in_place_is_read_again(vizd_factory, tmp_path):
    logdir = tmp_path / "runs"
    write_logdir(tmp_path / "short", "torch", runs=1, steps=30)
    write_logdir(tmp_path / "long", "tensorboardX", runs=1, steps=80)
    (logdir / "run000").mkdir(parents=True)
    target = logdir / "run000" / "events.out.tfevents.1.host"
    shutil.copyfile(glob.glob(str(tmp_path / "long" / "run000" / "*"))[0], target)
    vizd = vizd_factory(args=["--logdir", str(logdir), "--logdir-poll-ms", "100"])
    assert wait_for(lambda: served_counts(vizd.client).get(("run000", "loss")) == 80, SERVE_WITHIN_S)
    inode = os.stat(target).st_ino
    for source in ("short", "long"):  # shorter than before, then longer than the offset reached
        with open(target, "r+b") as f:
            f.truncate(0)
            f.write(open(glob.glob(str(tmp_path / source / "run000" / "*"))[0], "rb").read())
        assert os.stat(target).st_ino == inode
        count = 30 if source == "short" else 80
        vizd_stamp = time.monotonic()
        while time.monotonic() - vizd_stamp < SERVE_WITHIN_S:
            points = vizd.client.series("acc", "run000", points=0)["points"]
            if len(points) == 80 and [p[2] for p in points[:count]] == [s * 0.25 for s in range(count)]:
                break
            time.sleep(0.05)
        # Steps are replaced, not doubled; steps the new content lacks keep their old values.
        assert [p[0] for p in points] == list(range(80))
        assert "corrupt" not in vizd.stderr
    assert served_counts(vizd.client) == {("run000", "loss"): 80, ("run000", "acc"): 80}


def test_a_partial_record_is_waited_for_not_called_corrupt(vizd_factory, tmp_path):
    logdir = tmp_path / "runs"
    write_logdir(tmp_path / "src", "torch", runs=1, steps=20)
    data = open(glob.glob(str(tmp_path / "src" / "run000" / "*"))[0], "rb").read()
    (logdir / "run000").mkdir(parents=True)
    target = logdir / "run000" / "events.out.tfevents.2.host"
    vizd = vizd_factory(args=["--logdir", str(logdir)])
    with open(target, "wb") as f:
        # Byte by byte through the file's last records: every prefix is a moment a reader may see.
        cut = len(data) - 400
        f.write(data[:cut])
        f.flush()
        for i in range(cut, len(data), 7):
            f.write(data[i:i + 7])
            f.flush()
            time.sleep(0.002)
    assert wait_for(lambda: served_counts(vizd.client) == disk_counts(logdir), SERVE_WITHIN_S), \
        (served_counts(vizd.client), disk_counts(logdir))
    assert "corrupt" not in vizd.stderr and "left until" not in vizd.stderr


@pytest.mark.slow
def test_a_thousand_run_directories(vizd_factory, tmp_path):
    logdir = tmp_path / "runs"
    write_logdir(tmp_path / "one", "tensorboardX", runs=1, steps=3)
    source = glob.glob(str(tmp_path / "one" / "run000" / "*"))[0]
    for r in range(1000):
        os.makedirs(logdir / ("r%04d" % r))
        shutil.copyfile(source, logdir / ("r%04d" % r) / os.path.basename(source))
    vizd = vizd_factory(args=["--logdir", str(logdir)])
    assert wait_for(lambda: len(served_counts(vizd.client)) == 2000, 60, interval=0.2)
    assert all(n == 3 for n in served_counts(vizd.client).values())
    # One more directory among the thousand is still noticed quickly.
    writer = Writer("torch", logdir / "r1000")
    try:
        writer.write(4)
        assert wait_for(lambda: served_counts(vizd.client).get(("r1000", "loss")) == 4, SERVE_WITHIN_S)
    finally:
        writer.close()


def test_add_hparams_from_torch_sets_the_runs_hparams_and_metric_tags(vizd_factory, tmp_path):
    from torch.utils.tensorboard import SummaryWriter
    logdir = tmp_path / "runs"
    vizd = vizd_factory(args=["--logdir", str(logdir)])
    with SummaryWriter(str(logdir)) as writer:
        writer.add_hparams({"lr": 0.1, "optimizer": "sgd", "batch": 32, "nesterov": True},
                           {"hparam/accuracy": 0.75, "hparam/loss": 0.5}, run_name="trial0")

    def trial():
        runs = {r["name"]: r for r in vizd.client.runs()}
        return runs.get("trial0") if runs.get("trial0", {}).get("hparams") else None  # torch: logdir/run_name

    run = wait_for(trial, SERVE_WITHIN_S)
    assert run, vizd.client.runs()
    # torch writes a bool as the number 1 (it tests for int before bool); TensorBoard shows 1 too.
    assert run["hparams"] == {"lr": 0.1, "optimizer": "sgd", "batch": 32, "nesterov": 1,
                              "metrics": ["hparam/accuracy", "hparam/loss"]}
    assert wait_for(lambda: served_counts(vizd.client).get(("trial0", "hparam/accuracy")) == 1,
                    SERVE_WITHIN_S)
    assert vizd.client.series("hparam/accuracy", "trial0", points=0)["points"][0][2] == 0.75


def image_v2_summary(tag, png, width, height):
    """Summary v2 image: a string tensor [width, height, image...] with the images plugin's metadata, built
    from the documented protobuf layout (TensorBoard's own image summary_v2 needs TensorFlow)."""
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.compat.proto.types_pb2 import DT_STRING
    tensor = TensorProto(dtype=DT_STRING, string_val=[str(width).encode(), str(height).encode(), png],
                         tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=3)]))
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="images"))
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=metadata)])


def test_summary_v2_scalars_histograms_texts_and_images(vizd_factory, tmp_path):
    """Written with TensorBoard's own summary v2 protobuf builders (no TensorFlow needed for them)."""
    import io
    import numpy as np
    from PIL import Image
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.plugins.histogram import summary_v2 as histogram_v2
    from tensorboard.plugins.scalar import summary_v2 as scalar_v2
    from tensorboard.plugins.text import summary_v2 as text_v2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    logdir = tmp_path / "runs"
    vizd = vizd_factory(args=["--logdir", str(logdir)])
    writer = EventFileWriter(str(logdir / "v2"))
    rng = np.random.default_rng(0)
    protos = []
    for step in range(3):
        data = rng.normal(step, 1.0, 500)
        histogram = histogram_v2.histogram_pb("weights", data, buckets=12)
        protos.append(histogram.value[0].tensor)
        for summary in (scalar_v2.scalar_pb("loss", 1.0 / (step + 1)), histogram,
                        text_v2.text_pb("note", "step %d" % step)):
            writer.add_event(Event(wall_time=time.time(), step=step, summary=summary))
    png = io.BytesIO()
    Image.new("RGB", (5, 4), (200, 10, 10)).save(png, format="PNG")
    writer.add_event(Event(wall_time=time.time(), step=7, summary=image_v2_summary("sample", png.getvalue(), 5, 4)))
    writer.flush()

    def served():
        tags = vizd.client.get("/api/v1/tags", params={"run": "v2"}).json["runs"].get("v2", {})
        return tags if all(tags.get(k, {}).get(t, {}).get("count") == 3 for k, t in
                           (("scalars", "loss"), ("histograms", "weights"), ("texts", "note"))) else None

    assert wait_for(served, SERVE_WITHIN_S), vizd.client.get("/api/v1/tags").json
    points = vizd.client.series("loss", "v2", points=0)["points"]
    assert [(p[0], p[2]) for p in points] == [(s, float(np.float32(1.0 / (s + 1)))) for s in range(3)]
    steps = vizd.client.get("/api/v1/histograms", params={"run": "v2", "tag": "weights"}).json["series"][0]["steps"]
    for got, tensor in zip(steps, protos):
        cells = np.frombuffer(tensor.tensor_content, dtype=np.float64).reshape(-1, 3) if tensor.tensor_content \
            else np.array(tensor.double_val).reshape(-1, 3)
        nonzero = [row for row in cells if row[2]]
        assert [b[2] for b in got["buckets"]] == [row[2] for row in cells][
            list(cells[:, 2]).index(nonzero[0][2]):len(cells) - list(cells[::-1, 2]).index(nonzero[-1][2])]
        assert got["num"] == cells[:, 2].sum()
    texts = vizd.client.get("/api/v1/texts", params={"run": "v2", "tag": "note"}).json
    assert [item["text"] for item in texts["series"][0]["items"]] == ["step 0", "step 1", "step 2"]
    images = wait_for(lambda: vizd.client.get("/api/v1/images", params={"run": "v2", "tag": "sample"}).json
                      ["series"][0]["items"], SERVE_WITHIN_S)
    assert [(i["step"], i["width"], i["height"]) for i in images] == [(7, 5, 4)]
    assert vizd.client.get(images[0]["url"]).body == png.getvalue()
    writer.close()


@pytest.mark.slow
def test_a_long_first_read_prints_progress_lines_when_stderr_is_not_a_terminal(vizd_factory, tmp_path):
    import re
    write_logdir(tmp_path / "one", "tensorboardX", runs=1, steps=30000)
    source = glob.glob(str(tmp_path / "one" / "run000" / "*"))[0]
    logdir = tmp_path / "runs"
    for r in range(16):  # 960,000 points, 38 MB: a large first read
        os.makedirs(logdir / ("r%02d" % r))
        shutil.copyfile(source, logdir / ("r%02d" % r) / os.path.basename(source))
    vizd = vizd_factory(args=["--logdir", str(logdir)])
    assert wait_for(lambda: "following" in vizd.stderr, 120, interval=0.2), vizd.stderr
    lines = vizd.stderr.splitlines()
    progress = [l for l in lines if re.fullmatch(r"vizd: --logdir: \d+/16 files, \d+ records, \d+ points/s, ETA [\d.]+ s", l)]
    final = [l for l in lines if re.fullmatch(r"vizd: --logdir: 16/16 files, 960016 records, \d+ points/s, took [\d.]+ s", l)]
    assert progress and final, vizd.stderr
    assert "\r" not in vizd.stderr  # the updating line is for terminals only
    assert "read 16 files: 960000 scalars" in vizd.stderr


def test_kinds_without_a_view_are_named_once_by_kind_and_tag(vizd_factory, tmp_path):
    import numpy as np
    from torch.utils.tensorboard import SummaryWriter
    logdir = tmp_path / "runs"
    logdir.mkdir()
    vizd = vizd_factory(args=["--logdir", str(logdir)])
    assert wait_for(lambda: "following" in vizd.stderr, 10)
    with SummaryWriter(str(logdir / "a")) as writer:
        writer.add_audio("speech", np.zeros(800, dtype=np.float32), 0, sample_rate=8000)
        writer.add_pr_curve("pr/cat", np.array([1, 0, 1]), np.array([0.9, 0.2, 0.6]), 0)
        writer.add_scalar("loss", 1.0, 0)
    assert wait_for(lambda: served_counts(vizd.client).get(("a", "loss")) == 1, SERVE_WITHIN_S)
    line = wait_for(lambda: [l for l in vizd.stderr.splitlines() if "values skipped so far" in l], SERVE_WITHIN_S)
    assert line and "audio 1 (tags speech)" in line[0] and "pr_curves 1 (tags pr/cat)" in line[0], vizd.stderr
    with SummaryWriter(str(logdir / "a")) as writer:  # more of the same kinds and tags: no new line
        writer.add_audio("speech", np.zeros(800, dtype=np.float32), 1, sample_rate=8000)
        writer.add_scalar("loss", 1.0, 1)
    assert wait_for(lambda: served_counts(vizd.client).get(("a", "loss")) == 2, SERVE_WITHIN_S)
    time.sleep(0.3)
    assert len([l for l in vizd.stderr.splitlines() if "values skipped so far" in l]) == 1
