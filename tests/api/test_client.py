"""test_client.py -- the Python client (clients/python/vizd_client) against a real vizd and real PyTorch.

The tutorial this project grew from (its loops are below) is what users do today with torch.utils.tensorboard.SummaryWriter;
every loop of it is run here through vizd_client.SummaryWriter and checked against what PyTorch,
TensorBoard and torchinfo themselves make of the same tensors:

  - scalars: add_scalar of x and x**2 for 500 steps stores every point, in a handful of requests
    (counted as write events on /api/v1/events: one event per committed request);
  - histograms: the seed's shifting normal for 20 steps gives, after vizd's conversion, the buckets
    (limits and counts, exactly) of torch's make_histogram read back by TensorBoard's own rule
    (histogram_oracle.py); bins=N and numpy's "auto" too;
  - graphs: add_graph of the seed's Net gives vizd's summary equal to torchinfo.summary's (table and
    totals), and the rows of every model of tests/fixtures/torchinfo equal that exporter's rows;
  - images: the pixels of torch.utils.tensorboard.summary.image, decoded with Pillow, for a CHW float
    tensor; a HWC uint8 array round trips exactly (gray, RGB, RGBA); add_images makes one item each;
  - texts, hparams, tensors (a conv weight bit for bit, with its display hints), add_scalars' tags;
  - batching and flushing: nothing before flush_secs, everything on close or after flush_secs;
  - errors: a caller's mistake (bad tag, unknown display hint) raises in the call; an item vizd refuses
    is dropped with a warning naming the field while the rest is stored; with a stopped daemon no call
    raises, flush(wait=True) raises VizdConnectionError and the data stays in the spool;
  - the client imports and works with numpy and torch made unimportable (stdlib only).
"""

import io
import json
import math
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import torch
import torchinfo
from PIL import Image
from torch import nn
from torch.utils.tensorboard import summary as torch_summary

from harness import REPO_ROOT, EventStream
from histogram_oracle import tensorboard_view
from media_helpers import fetch_blob, items_of

CLIENT_DIR = os.path.join(REPO_ROOT, "clients", "python")
FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "torchinfo")
sys.path.insert(0, CLIENT_DIR)
sys.path.insert(0, FIXTURES)

from vizd_client import SummaryWriter, VizdConnectionError, VizdError, VizdWarning  # noqa: E402
import make_expected  # noqa: E402  (the seed's Net, and the models whose exported rows the summary tests use)


@pytest.fixture(autouse=True)
def spool_in_tmp_path(tmp_path, monkeypatch):
    """Writers spool under tmp_path, never in the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def writer_for(daemon, run="r", **kwargs):
    return SummaryWriter(run, url="http://127.0.0.1:%d" % daemon.port, **kwargs)


def points_of(client, run, tag):
    return [(p[0], p[2]) for p in client.series(tag, run, points=0)["points"]]


def write_events_after(stream, timeout=0.5):
    """The write events the stream still holds (until none comes for `timeout` seconds)."""
    events = []
    while True:
        try:
            name, data = stream.next_event(timeout=timeout)
        except TimeoutError:
            return events
        if name == "write":
            events.append(data)


def decode_png(data):
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def histogram_steps(client, run, tag):
    resp = client.get("/api/v1/histograms", params={"tag": tag, "run": run, "steps": 0})
    assert resp.status == 200, resp
    (series,) = resp.json["series"]
    return series["steps"]


# ---- scalars ------------------------------------------------------------------------------------

def test_the_seeds_scalar_loop_stores_every_point_in_a_few_requests(vizd):
    with EventStream(vizd.port) as stream:
        stream.read_headers()
        writer = writer_for(vizd, "runs")
        for i in range(500):
            x = i
            y = x ** 2
            writer.add_scalar("x", x, i)
            writer.add_scalar("y", y, i)
        writer.close()
        events = write_events_after(stream)
    assert points_of(vizd.client, "runs", "x") == [(i, i) for i in range(500)]
    assert points_of(vizd.client, "runs", "y") == [(i, i * i) for i in range(500)]
    # 1,000 points with max_queue=1000: one request (two if the 2 s background flush cut in).
    assert 1 <= len(events) <= 2, events
    assert all(e["kinds"] == ["scalars"] for e in events)


def test_points_without_a_step_count_up_after_the_explicit_ones_and_non_finite_values_survive(vizd):
    with writer_for(vizd) as writer:
        writer.add_scalar("loss", 1.5)
        writer.add_scalar("loss", float("nan"))
        writer.add_scalar("loss", float("inf"), 10)
        writer.add_scalar("loss", torch.tensor(-math.inf))  # a 0-d tensor, as a loss usually is
        writer.add_scalar("loss", np.float32(0.25))
    got = points_of(vizd.client, "r", "loss")
    assert [s for s, _ in got] == [0, 1, 10, 11, 12]
    assert got[0][1] == 1.5 and got[1][1] == "NaN" and got[2][1] == "Infinity" and got[3][1] == "-Infinity"
    assert got[4] == (12, 0.25)


def test_add_scalars_writes_one_tag_per_key_under_the_main_tag_in_the_same_run(vizd):
    with writer_for(vizd) as writer:
        for step in range(3):
            writer.add_scalars("loss", {"train": step * 2.0, "val": step * 3.0}, step)
    assert points_of(vizd.client, "r", "loss/train") == [(0, 0), (1, 2), (2, 4)]
    assert points_of(vizd.client, "r", "loss/val") == [(0, 0), (1, 3), (2, 6)]
    assert [run["name"] for run in vizd.client.runs()] == ["r"]


def test_buffered_scalars_wait_for_close_and_keep_their_wall_times(vizd):
    writer = writer_for(vizd, flush_secs=600)
    before = time.time()
    writer.add_scalar("a", 1.0, 0)
    writer.add_scalar("a", 2.0, 1, walltime=1764000000.5)
    assert vizd.client.runs() == []  # still buffered
    writer.close()
    points = vizd.client.series("a", "r", points=0)["points"]
    assert [p[0] for p in points] == [0, 1]
    assert before <= points[0][1] <= time.time() and points[1][1] == 1764000000.5


def test_the_background_thread_sends_within_flush_secs(vizd):
    writer = writer_for(vizd, flush_secs=0.2)
    writer.add_scalar("a", 1.0, 0)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not vizd.client.runs():
        time.sleep(0.05)
    assert points_of(vizd.client, "r", "a") == [(0, 1)]
    writer.close()


def test_flush_wait_returns_once_vizd_has_everything_and_plain_flush_does_not_wait(vizd):
    writer = writer_for(vizd, flush_secs=600)
    writer.add_scalar("a", 1.0, 0)
    writer.add_text("notes", "hello", 0)
    writer.flush(wait=True)
    assert points_of(vizd.client, "r", "a") == [(0, 1)]
    assert [i["text"] for i in items_of(vizd.client, "texts", "notes", "r")] == ["hello"]
    writer.add_scalar("a", 2.0, 1)
    writer.flush()  # durable (spooled and fsync'd) but not waited for
    writer.close()
    assert points_of(vizd.client, "r", "a") == [(0, 1), (1, 2)]


def test_reaching_max_queue_sends_from_add_scalar(vizd):
    writer = writer_for(vizd, flush_secs=600, max_queue=10)
    for step in range(25):
        writer.add_scalar("a", step, step)
    deadline = time.monotonic() + 5  # sent by the background thread, without waiting for flush_secs
    while time.monotonic() < deadline and len(vizd.client.runs()) == 0:
        time.sleep(0.02)
    time.sleep(0.2)
    assert [s for s, _ in points_of(vizd.client, "r", "a")] == list(range(20))
    writer.close()
    assert len(points_of(vizd.client, "r", "a")) == 25


# ---- histograms ---------------------------------------------------------------------------------

def test_the_seeds_shifting_normal_gives_torchs_make_histogram_buckets(vizd):
    torch.manual_seed(0)

    def norm(mean, std):
        return std * torch.randn((100, 20)) + mean

    tensors = []
    with writer_for(vizd, "runs") as writer:
        for step, mean in enumerate(range(-10, 10, 1)):
            w = norm(mean, 1)
            tensors.append(w)
            writer.add_histogram("w", w, step)
            writer.flush()
    steps = histogram_steps(vizd.client, "runs", "w")
    assert [s["step"] for s in steps] == list(range(20))
    for got, w in zip(steps, tensors):
        view = tensorboard_view(w)
        assert (got["min"], got["max"], got["num"]) == (view.proto.min, view.proto.max, view.proto.num)
        assert [b[2] for b in got["buckets"]] == [b[2] for b in view.buckets_f64], got["step"]
        assert [b[:2] for b in got["buckets"]] == [b[:2] for b in view.buckets_f64], got["step"]


@pytest.mark.parametrize("bins", [30, "auto"])
def test_histograms_with_other_bins_match_torch(vizd, bins):
    torch.manual_seed(1)
    w = torch.randn(500) * 3 + 1
    with writer_for(vizd) as writer:
        writer.add_histogram("w", w, 0, bins=bins)
    (got,) = histogram_steps(vizd.client, "r", "w")
    view = tensorboard_view(w, bins=bins)
    assert [b[2] for b in got["buckets"]] == [b[2] for b in view.buckets_f64]
    for (left, right, _), (tb_left, tb_right, _) in zip(got["buckets"], view.buckets_f64):
        assert math.isclose(left, tb_left, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(right, tb_right, rel_tol=1e-12, abs_tol=1e-12)


# ---- graphs -------------------------------------------------------------------------------------

def test_add_graph_of_the_seeds_net_gives_torchinfos_summary(vizd):
    model = make_expected.Net()
    x = torch.rand(1, 3, 224, 224)
    model.train()
    with writer_for(vizd, "runs") as writer:
        writer.add_graph(model, input_to_model=x)
    assert model.training and all(m.training for m in model.modules())  # the mode is given back
    stats = torchinfo.summary(model, input_data=[x], verbose=0)
    resp = vizd.client.get("/api/v1/graph/summary", params={"run": "runs"})
    assert resp.status == 200, resp
    totals = resp.json["totals"]
    assert totals["total_params"] == stats.total_params == 54273
    assert totals["trainable_params"] == stats.trainable_params
    assert totals["total_mult_adds"] == stats.total_mult_adds
    assert totals["forward_backward_pass_bytes"] == stats.total_output_bytes
    assert totals["params_bytes"] == stats.total_param_bytes
    # torchinfo's input size is the tensor plus sys.getsizeof's object header, which grows by a few
    # bytes between Python versions; vizd uses the 56 bytes of torchinfo 1.8.0 on Python 3.10.
    assert totals["input_bytes"] == x.numel() * 4 + 56
    assert abs(stats.total_input - totals["input_bytes"]) <= 16
    text = vizd.client.get("/api/v1/graph/summary", params={"run": "runs", "format": "text"}).text
    expected = str(stats)
    for unit, short in (("Units.GIGABYTES", "G"), ("Units.MEGABYTES", "M"), ("Units.KILOBYTES", "K")):
        expected = expected.replace("(%s)" % unit, "(%s)" % short)  # Python >= 3.11 prints the enum
    assert [line.rstrip() for line in text.strip().split("\n")] == \
        [line.rstrip() for line in expected.strip().split("\n")]
    graph = vizd.client.get("/api/v1/graph", params={"run": "runs"}).json["graph"]
    assert graph["inputs"] == [{"name": "x", "shape": [1, 3, 224, 224], "dtype": "float32"}]
    assert graph["edges"][0] == ["input:x", "1", {"shape": [1, 3, 224, 224], "dtype": "float32"}]
    # ten calls in a chain, and the sigmoid's output leaving the model; no functional op in between
    assert len(graph["edges"]) == 11 and graph["edges"][-1][:2] == ["10", "output:output"]
    assert not [node for node in graph["nodes"] if node.get("kind") == "op"]


@pytest.mark.parametrize("name", ["resnet18", "called_twice", "frozen", "own_param", "lstm", "deep", "odd_input"])
def test_add_graph_rows_equal_those_the_torchinfo_fixtures_were_made_from(vizd, name):
    model, inputs = {
        "resnet18": (make_expected.ResNet, [torch.rand(1, 3, 224, 224)]),
        "called_twice": (make_expected.CalledTwice, [torch.rand(2, 16)]),
        "frozen": (make_expected.Frozen, [torch.rand(2, 3, 16, 16)]),
        "own_param": (make_expected.OwnParam, [torch.rand(2, 3, 12, 12)]),
        "lstm": (make_expected.Recurrent, [torch.randint(0, 100, (4, 12))]),
        "deep": (make_expected.Deep, [torch.rand(3, 8)]),
        "odd_input": (make_expected.OddInput, [torch.rand(5, 13, 19)]),
    }[name]
    with writer_for(vizd, name) as writer:
        writer.add_graph(model(), inputs[0] if len(inputs) == 1 else inputs)
    with open(os.path.join(FIXTURES, name + ".graph.json"), encoding="utf-8") as f:
        expected = json.load(f)
    got = vizd.client.get("/api/v1/graph", params={"run": name}).json["graph"]
    assert [node for node in got["nodes"] if node.get("kind") != "op"] == expected["nodes"]
    assert got["inputs"] == expected["inputs"]
    assert got["repr"] == expected["repr"]


# ---- images -------------------------------------------------------------------------------------

def test_add_image_of_a_chw_float_tensor_gives_torchs_pixels(vizd):
    torch.manual_seed(2)
    img = torch.rand(3, 21, 34)
    img[0, 0, :4] = torch.tensor([-0.5, 0.0, 1.0, 1.5])  # clipped as TensorBoard clips
    with writer_for(vizd) as writer:
        writer.add_image("inputs", img, 0)
    (item,) = items_of(vizd.client, "images", "inputs", "r")
    assert (item["width"], item["height"], item["type"]) == (34, 21, "png")
    ours = np.asarray(decode_png(fetch_blob(vizd.client, item["url"]).body).convert("RGB"))
    theirs_png = torch_summary.image("inputs", img, dataformats="CHW").value[0].image.encoded_image_string
    theirs = np.asarray(Image.open(io.BytesIO(theirs_png)).convert("RGB"))
    assert np.array_equal(ours, theirs)
    assert ours[0, :4, 0].tolist() == [0, 0, 255, 255]


@pytest.mark.parametrize("channels,mode", [(3, "RGB"), (4, "RGBA"), (1, "L")])
def test_add_image_of_a_hwc_uint8_array_round_trips_pixel_exact(vizd, channels, mode):
    rng = np.random.RandomState(channels)
    img = rng.randint(0, 256, size=(17, 29, channels), dtype=np.uint8)
    with writer_for(vizd) as writer:
        writer.add_image("photo", img, 5, dataformats="HWC")
        writer.add_image("photo_hw", img[:, :, 0], 5, dataformats="HW")
    (item,) = items_of(vizd.client, "images", "photo", "r")
    image = decode_png(fetch_blob(vizd.client, item["url"]).body)
    assert image.mode == mode and item["step"] == 5
    assert np.array_equal(np.asarray(image).reshape(img.shape), img)
    (item,) = items_of(vizd.client, "images", "photo_hw", "r")
    assert np.array_equal(np.asarray(decode_png(fetch_blob(vizd.client, item["url"]).body)), img[:, :, 0])


def test_add_images_stores_one_item_per_image_of_the_batch(vizd):
    torch.manual_seed(3)
    batch = torch.rand(4, 3, 12, 10)
    with writer_for(vizd) as writer:
        writer.add_images("batch", batch, 7)
    items = items_of(vizd.client, "images", "batch", "r")
    assert [(i["step"], i["index"]) for i in items] == [(7, n) for n in range(4)]
    for item, img in zip(items, batch):
        ours = np.asarray(decode_png(fetch_blob(vizd.client, item["url"]).body))
        theirs_png = torch_summary.image("b", img, dataformats="CHW").value[0].image.encoded_image_string
        assert np.array_equal(ours, np.asarray(Image.open(io.BytesIO(theirs_png))))


def test_add_figure_stores_the_png_the_figure_renders(vizd):
    class Figure:  # matplotlib is not a test requirement; add_figure only calls savefig(format="png")
        def savefig(self, out, format):
            assert format == "png"
            Image.new("RGB", (9, 5), (10, 20, 30)).save(out, format="PNG")

    with writer_for(vizd) as writer:
        writer.add_figure("plot", [Figure(), Figure()], 2, close=False)
    items = items_of(vizd.client, "images", "plot", "r")
    assert [(i["step"], i["index"], i["width"], i["height"]) for i in items] == [(2, 0, 9, 5), (2, 1, 9, 5)]


# ---- texts, hparams, tensors --------------------------------------------------------------------

def test_add_text_round_trips(vizd):
    text = "# Notes\n\n<b>not html</b> and ünïcode"
    with writer_for(vizd) as writer:
        writer.add_text("notes", text, 3)
    (item,) = items_of(vizd.client, "texts", "notes", "r")
    assert (item["step"], item["text"]) == (3, text)


def test_add_hparams_sets_the_runs_hparams_and_writes_the_metrics_as_scalars(vizd):
    with writer_for(vizd) as writer:
        writer.add_hparams({"lr": 0.1, "bsize": torch.tensor(32), "optimizer": "sgd", "nesterov": True},
                           {"hparam/accuracy": 0.9, "hparam/loss": torch.tensor(0.25)})
    (run,) = vizd.client.runs()
    assert run["hparams"] == {"lr": 0.1, "bsize": 32, "optimizer": "sgd", "nesterov": True,
                              "metrics": ["hparam/accuracy", "hparam/loss"]}
    assert points_of(vizd.client, "r", "hparam/accuracy") == [(0, 0.9)]
    assert points_of(vizd.client, "r", "hparam/loss") == [(0, 0.25)]


def test_add_tensor_of_a_conv_weight_is_bit_exact_with_its_display_hints(vizd):
    conv = nn.Conv2d(64, 128, 3)
    with writer_for(vizd) as writer:
        writer.add_tensor("features.3.weight", conv.weight, 0, display={"kind": "kernels", "colormap": "bwr"})
        writer.add_tensor("features.3.bias", conv.bias, 0, walltime=1764000000.5, dtype="float64")
    (item,) = items_of(vizd.client, "tensors", "features.3.weight", "r")
    assert item["shape"] == [128, 64, 3, 3] and item["dtype"] == "float32"
    assert item["display"] == {"kind": "kernels", "colormap": "bwr"}
    assert fetch_blob(vizd.client, item["url"]).body == conv.weight.detach().numpy().astype("<f4").tobytes()
    (item,) = items_of(vizd.client, "tensors", "features.3.bias", "r")
    assert (item["shape"], item["dtype"], item["wall_time"]) == ([128], "float64", 1764000000.5)
    assert fetch_blob(vizd.client, item["url"]).body == conv.bias.detach().numpy().astype("<f8").tobytes()


# ---- errors -------------------------------------------------------------------------------------

def test_a_callers_mistake_raises_in_the_call_and_nothing_of_it_is_sent(vizd):
    writer = writer_for(vizd)
    with pytest.raises(ValueError, match="tag must be 1 to 256 bytes"):
        writer.add_scalar("t" * 300, 2.0, 0)
    with pytest.raises(ValueError, match="tag must be 1 to 256 bytes"):
        writer.add_text("n" * 300, "x", 0)
    with pytest.raises(ValueError, match="control characters"):
        writer.add_histogram("a\nb", [1.0, 2.0], 0)
    with pytest.raises(ValueError, match="display.kind must be one of"):
        writer.add_tensor("k", torch.zeros(2, 2), 0, display={"kind": "sparkles"})
    with pytest.raises(ValueError, match="display.sparkle: unknown display hint"):
        writer.add_tensor("k", torch.zeros(2, 2), 0, display={"sparkle": 1})
    with pytest.raises(ValueError, match="int64"):
        writer.add_scalar("a", 1.0, 1 << 63)
    with pytest.raises(ValueError, match="dataformats"):
        writer.add_image("img", torch.zeros(3, 4, 4), 0, dataformats="NCHW")
    writer.add_scalar("good", 1.0, 0)
    writer.close()
    assert [run["name"] for run in vizd.client.runs()] == ["r"]
    assert points_of(vizd.client, "r", "good") == [(0, 1)]
    tags = vizd.client.tags(run="r")["r"]
    assert [kind for kind, found in tags.items() if found] == ["scalars"] and list(tags["scalars"]) == ["good"]


def test_an_item_vizd_refuses_is_dropped_with_a_warning_naming_the_field_and_the_rest_is_stored(vizd):
    too_long = "x" * (1024 * 1024 + 1)  # vizd stores texts of up to 1 MiB; the client leaves that to vizd
    writer = writer_for(vizd, flush_secs=600)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer.add_text("notes", "first", 0)
        writer.add_text("notes", too_long, 1)
        writer.add_text("notes", "third", 2)
        writer.add_scalar("loss", 0.5, 0)
        with pytest.raises(VizdError) as raised:
            writer.flush(wait=True)
        writer.close()
    error = raised.value
    assert error.status == 400 and error.path.startswith("texts[") and error.path.endswith("].text")
    assert error.tag == "notes"
    messages = [str(w.message) for w in caught if issubclass(w.category, VizdWarning)]
    assert len(messages) == 1, messages
    assert error.path in messages[0] and "that item is dropped" in messages[0]
    assert [(item["step"], item["text"]) for item in items_of(vizd.client, "texts", "notes", "r")] == [(0, "first"), (2, "third")]
    assert points_of(vizd.client, "r", "loss") == [(0, 0.5)]


def test_a_stopped_daemon_raises_nothing_in_the_calls_and_flush_wait_says_so(vizd_factory, tmp_path):
    daemon = vizd_factory()
    port = daemon.port
    assert daemon.stop() == 0
    writer = SummaryWriter("r", url="http://127.0.0.1:%d" % port, flush_secs=600, retries=1, retry_delay_s=0.05,
                           spool_dir=tmp_path / "spool")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer.add_text("notes", "x", 0)
        writer.add_scalar("a", 1.0, 0)
        writer.add_histogram("h", [1.0, 2.0], 0)
        with pytest.raises(VizdConnectionError) as raised:
            writer.flush(wait=True)
        writer.close()
    assert isinstance(raised.value, ConnectionError)
    assert "http://127.0.0.1:%d" % port in str(raised.value) and str(tmp_path / "spool") in str(raised.value)
    messages = [str(w.message) for w in caught if issubclass(w.category, VizdWarning)]
    assert any("cannot be reached" in m and str(tmp_path / "spool") in m for m in messages), messages
    assert any("stay in the spool" in m for m in messages), messages
    assert len(os.listdir(tmp_path / "spool")) == 1


# ---- stdlib only, and naming ----------------------------------------------------------------------

def test_the_client_works_with_numpy_and_torch_unimportable(vizd):
    script = """
import sys
sys.modules["numpy"] = None
sys.modules["torch"] = None
sys.path.insert(0, %r)
from vizd_client import SummaryWriter
with SummaryWriter("plain", url="http://127.0.0.1:%d") as w:
    w.add_scalar("a", 1.5, 0)
    w.add_histogram("h", [[0.5, 1.5], [2.5, -1.0]], 0)
    w.add_image("img", [[[0, 128, 255], [255, 0, 10]]], 0, dataformats="HWC")
    w.add_image("gray", [[0.0, 0.5], [1.0, 0.25]], 0, dataformats="HW")
    w.add_tensor("t", [[1.0, 2.0], [3.0, 4.5]], 0)
    w.add_text("notes", "hi", 0)
""" % (CLIENT_DIR, vizd.port)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    client = vizd.client
    assert points_of(client, "plain", "a") == [(0, 1.5)]
    (hist,) = histogram_steps(client, "plain", "h")
    assert (hist["num"], hist["min"], hist["max"]) == (4, -1.0, 2.5)
    (item,) = items_of(client, "images", "img", "plain")
    assert np.asarray(decode_png(fetch_blob(client, item["url"]).body)).tolist() == [[[0, 128, 255], [255, 0, 10]]]
    (item,) = items_of(client, "images", "gray", "plain")
    assert np.asarray(decode_png(fetch_blob(client, item["url"]).body)).tolist() == [[0, 127], [255, 63]]
    (item,) = items_of(client, "tensors", "t", "plain")
    assert np.frombuffer(fetch_blob(client, item["url"]).body, "<f4").tolist() == [1.0, 2.0, 3.0, 4.5]


def test_run_names_follow_tensorboards_log_dir():
    default = SummaryWriter(comment="_lr0.1")
    assert default.run.startswith("runs/") and default.run.endswith("_lr0.1")
    assert SummaryWriter("./runs/").run == "runs"
    assert SummaryWriter(log_dir="runs/exp1").get_logdir() == "runs/exp1"
    with pytest.raises(ValueError, match="by keyword"):
        SummaryWriter("runs", "_comment_as_second_argument")
