"""test_import.py -- `vizd --import LOGDIR`: event files written by the real torch.utils.tensorboard and
tensorboardX SummaryWriters, in a fresh logdir made by the test, come out of vizd's API as written.

Each directory holding events.out.tfevents.* files is a run named by its path under the logdir (the logdir
itself by its base name). Scalars keep their float32 values exactly, histograms equal what the writer's
own make_histogram stored, images and texts round trip.
"""

import io
import os

import numpy as np
import pytest
import torch
import tensorboardX
from PIL import Image
from torch.utils.tensorboard import SummaryWriter as TorchWriter
from torch.utils.tensorboard import summary as torch_summary

from harness import run_vizd_expecting_exit


def write_seed_logdir(logdir, writer_class):
    """The seed's TensorBoard section: scalars x and y, a shifting normal histogram, an image, a text."""
    torch.manual_seed(0)
    with writer_class(str(logdir)) as writer:
        for i in range(30):
            writer.add_scalar("x", i * 0.1, i)
            writer.add_scalar("y", (i * 0.1) ** 2, i)
        for step, mean in enumerate(range(-2, 2)):
            writer.add_histogram("w", torch.randn((100, 20)) + mean, step)
        writer.add_image("input", torch.rand(3, 8, 6), 0)
        writer.add_text("note", "# hello <script>x</script>", 0)
    with writer_class(str(logdir / "sub")) as writer:
        writer.add_scalar("loss", 0.5, 7)


@pytest.fixture(params=[TorchWriter, tensorboardX.SummaryWriter], ids=["torch", "tensorboardX"])
def imported(request, vizd_factory, tmp_path):
    logdir = tmp_path / "runs"
    write_seed_logdir(logdir, request.param)
    return vizd_factory(args=("--import", str(logdir))), request.param


def test_every_directory_with_event_files_is_a_run(imported):
    vizd, _ = imported
    assert [r["name"] for r in vizd.client.runs()] == ["runs", "sub"]


def test_scalars_come_back_as_the_float32_the_writer_stored(imported):
    vizd, _ = imported
    points = vizd.client.series("y", "runs", points=0)["points"]
    assert [p[0] for p in points] == list(range(30))
    assert [p[2] for p in points] == [float(np.float32((i * 0.1) ** 2)) for i in range(30)]
    assert vizd.client.series("loss", "sub", points=0)["points"][0][0::2] == [7, 0.5]


def test_histograms_equal_what_the_writer_binned(imported, tmp_path):
    vizd, writer_class = imported
    with writer_class(str(tmp_path / "scratch")) as scratch:
        edges = scratch.default_bins  # what add_histogram uses for bins="tensorflow"
    torch.manual_seed(0)
    expected = []
    for step, mean in enumerate(range(-2, 2)):
        values = (torch.randn((100, 20)) + mean).numpy()
        if writer_class is TorchWriter:
            proto = torch_summary.histogram("w", values, edges).value[0].histo
        else:
            proto = tensorboardX.summary.histogram("w", values, edges).value[0].histo
        expected.append(proto)
    steps = vizd.client.get("/api/v1/histograms", params={"run": "runs", "tag": "w"}).json["series"][0]["steps"]
    assert [s["step"] for s in steps] == [0, 1, 2, 3]
    for got, proto in zip(steps, expected):
        assert (got["min"], got["max"], got["num"]) == (proto.min, proto.max, proto.num)
        limits = list(proto.bucket_limit)
        counts = list(proto.bucket)
        first = next(i for i, c in enumerate(counts) if c)
        last = max(i for i, c in enumerate(counts) if c)
        assert [b[2] for b in got["buckets"]] == counts[first:last + 1]
        assert [b[1] for b in got["buckets"]][:-1] == limits[first:last]


def test_images_and_texts_round_trip(imported):
    vizd, _ = imported
    (item,) = vizd.client.get("/api/v1/images", params={"run": "runs", "tag": "input"}).json["series"][0]["items"]
    assert (item["width"], item["height"], item["type"]) == (6, 8, "png")
    image = Image.open(io.BytesIO(vizd.client.get(item["url"]).body))
    assert image.size == (6, 8)
    tags = vizd.client.get("/api/v1/tags", params={"run": "runs", "kind": "texts"}).json["runs"]["runs"]["texts"]
    (text_tag,) = tags
    (text,) = vizd.client.get("/api/v1/texts", params={"run": "runs", "tag": text_tag}).json["series"][0]["items"]
    assert text["text"] == "# hello <script>x</script>"


def test_import_only_exits_zero_and_a_second_import_adds_nothing(tmp_path):
    logdir = tmp_path / "runs"
    write_seed_logdir(logdir, TorchWriter)
    db = str(tmp_path / "x.sqlite")
    for _ in range(2):
        status, stderr = run_vizd_expecting_exit(["--db", db, "--import", str(logdir), "--import-only"], timeout=30)
        assert status == 0, stderr
        assert "imported 2 runs" in stderr
    import sqlite3
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count FROM series s JOIN runs r ON r.id = s.run_id WHERE r.name = 'runs' "
                        "AND s.tag = 'x'").fetchone()[0] == 30
    conn.close()


def test_a_corrupt_event_file_stops_the_import_naming_the_file_and_offset(tmp_path):
    logdir = tmp_path / "runs"
    write_seed_logdir(logdir, TorchWriter)
    (path,) = [p for p in logdir.iterdir() if p.name.startswith("events.out.tfevents")]
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF
    path.write_bytes(bytes(data))
    status, stderr = run_vizd_expecting_exit(["--db", str(tmp_path / "x.sqlite"), "--import", str(logdir),
                                              "--import-only"], timeout=30)
    assert status != 0
    assert path.name in stderr and "CRC" in stderr


def test_a_missing_logdir_is_a_start_up_error(tmp_path):
    status, stderr = run_vizd_expecting_exit(["--db", str(tmp_path / "x.sqlite"), "--import",
                                              str(tmp_path / "nope"), "--import-only"])
    assert status != 0 and "--import" in stderr
