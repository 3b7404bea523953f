"""make_seeds.py -- write the seed corpora of the fuzz targets into tests/fuzz/corpus/TARGET/.

The seeds are real inputs, so fuzzing starts from what vizd actually receives:
  image           PNG, JPEG, GIF and WebP files written by Pillow (a few pixels each)
  tfevents_file   event files written by torch.utils.tensorboard and tensorboardX, one per kind of value
  tfevents_event  every record of those files, one per file (the payload the target frames itself)
  write_json      POST /api/v1/write bodies of every kind, as docs/API.md shows them, images included
  graph           the small model graphs of tests/fixtures/torchinfo (exported from real PyTorch models)
  graphdef        the graph_def of the event files above that add_graph wrote (torch and tensorboardX)
  base64          a few encodings (standard, URL-safe, padded or not, broken into lines)
Run once from the repository root and commit the files:  python3 tests/fuzz/make_seeds.py
Writers put the time and host name into event files, so a second run writes other bytes: that is fine,
the seeds need to be real, not reproducible.
"""
import base64
import glob
import hashlib
import io
import json
import os
import shutil
import struct
import tempfile

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
FIXTURES = os.path.join(HERE, "..", "fixtures")


def save(target, data, name=None):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def images():
    """A few pixels in each format the sniffer knows; WebP both lossy (VP8) and lossless (VP8L)."""
    rgb = Image.new("RGB", (5, 3), (200, 30, 90))
    out = {}
    for name, fmt, kwargs in [("png", "PNG", {}), ("jpeg", "JPEG", {"quality": 50}), ("gif", "GIF", {}),
                              ("webp_lossy", "WEBP", {"quality": 50}), ("webp_lossless", "WEBP", {"lossless": True})]:
        buf = io.BytesIO()
        rgb.save(buf, fmt, **kwargs)
        out[name] = buf.getvalue()
    buf = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(buf, "WEBP", lossless=True, exact=True)  # alpha: VP8X
    out["webp_alpha"] = buf.getvalue()
    buf = io.BytesIO()
    Image.new("L", (3, 2), 128).save(buf, "PNG")
    out["png_gray"] = buf.getvalue()
    return out


def event_files():
    """One small event file per writer and kind of value."""
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    from tensorboardX import SummaryWriter as XWriter

    generator = torch.Generator().manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 2))
    kinds = {
        "scalar": lambda w: [w.add_scalar("loss", 0.5 - 0.1 * s, s) for s in range(3)],
        "histogram": lambda w: w.add_histogram("weights", torch.randn(50, generator=generator), 1),
        "image": lambda w: w.add_image("input", torch.rand(3, 4, 4, generator=generator), 2),
        "text": lambda w: w.add_text("notes", "**bold** and `code`", 0),
        "graph": lambda w: w.add_graph(model, torch.zeros(1, 1, 4, 4)),
    }
    out = {}
    for writer_name, writer_class in [("torch", TorchWriter), ("tensorboardx", XWriter)]:
        for kind, write in kinds.items():
            logdir = tempfile.mkdtemp()
            w = writer_class(logdir)
            write(w)
            w.close()
            if writer_name == "torch" and kind == "scalar":
                w = writer_class(logdir)
                w.add_scalar("loss_tensor", 0.25, 5, new_style=True)  # a one-element tensor, "scalars" plugin
                w.close()
            for i, path in enumerate(sorted(glob.glob(os.path.join(logdir, "**", "events.out.tfevents.*"),
                                                      recursive=True))):
                with open(path, "rb") as f:
                    out["%s_%s_%d" % (writer_name, kind, i)] = f.read()
            shutil.rmtree(logdir)
    return out


def graph_defs(files):
    """The graph_def payloads of event files (Event field 4), read with TensorBoard's own protobuf."""
    from tensorboard.compat.proto.event_pb2 import Event
    for name, data in files.items():
        for payload in records(data):
            event = Event.FromString(payload)
            if event.HasField("graph_def"):
                yield name, event.graph_def


def records(data):
    """The payloads of a TFRecord file (length, masked CRC, payload, masked CRC)."""
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        yield data[pos + 12:pos + 12 + length]
        pos += 12 + length + 4


def write_bodies(pictures):
    png = base64.b64encode(pictures["png"]).decode()
    jpeg = base64.b64encode(pictures["jpeg"]).decode()
    kernels = base64.b64encode(np.linspace(-1, 1, 2 * 1 * 3 * 3, dtype="<f4").tobytes()).decode()
    with open(os.path.join(FIXTURES, "torchinfo", "lstm.graph.json")) as f:
        graph = json.load(f)
    return [
        {"run": "mnist/lr=0.1", "hparams": {"lr": 0.1, "optimizer": "sgd"}, "description": "baseline",
         "scalars": [{"tag": "train/loss", "steps": [0, 1, 2, 3, 4], "values": [2.3, 1.7, 1.2, "NaN", 0.75]}]},
        {"run": "r", "scalars": [{"tag": "train/loss", "step": 100, "value": 0.25, "wall_time": 1764000000.5},
                                 {"tag": "train/acc", "value": "Infinity"},
                                 {"tag": "train/acc", "value": "-Infinity"}]},
        {"run": "r", "scalars": [{"tag": "a", "steps": [1, 2, 3], "values": [0.1, 0.2, 0.3],
                                  "wall_times": [1.5, 2.5, 3.5]}]},
        {"run": "r", "histograms": [{"tag": "fc.weight", "step": 0, "values": [0.1, -0.4, 0.25, 0, 1e-13, -3e20]}]},
        {"run": "r", "histograms": [{"tag": "fc.bias", "step": 100, "min": -1, "max": 1, "num": 10, "sum": 0.5,
                                     "sum_squares": 3.2, "bucket_limits": [-0.5, 0, 1],
                                     "bucket_counts": [3, 4, 3]}]},
        {"run": "r", "images": [{"tag": "inputs", "step": 0, "index": 0, "data": png},
                                {"tag": "inputs", "step": 0, "index": 1, "data": jpeg}]},
        {"run": "r", "tensors": [{"tag": "features.0.weight", "step": 0, "shape": [2, 1, 3, 3], "data": kernels,
                                  "display": {"kind": "kernels", "colormap": "bwr", "normalize": "symmetric"}}]},
        {"run": "r", "tensors": [{"tag": "cam", "step": 0, "shape": [3, 3], "data": kernels[:16],
                                  "display": {"kind": "heatmap", "colormap": "jet", "overlay": "inputs",
                                              "image_weight": 0.5}}]},
        {"run": "r", "texts": [{"tag": "notes", "step": 0, "text": "# Title\n\n*markdown*"}]},
        {"run": "r", "graph": graph},
    ]


def main():
    for target in ("image", "tfevents_file", "tfevents_event", "write_json", "graph", "graphdef", "base64"):
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
    pictures = images()
    for name, data in pictures.items():
        save("image", data, name)
    files = event_files()
    for name, data in files.items():
        save("tfevents_file", data, name)
        for payload in records(data):
            save("tfevents_event", payload)
    for name, graph_def in graph_defs(files):
        save("graphdef", graph_def, name)
    for body in write_bodies(pictures):
        save("write_json", json.dumps(body))
    for name in ("own_param", "called_twice", "deep", "frozen", "lstm", "odd_input"):
        with open(os.path.join(FIXTURES, "torchinfo", name + ".graph.json"), "rb") as f:
            save("graph", f.read(), name)
    for text in ("aGVsbG8=", "aGVsbG8", "YQ==", "YWI=", "Pz8-Pz8_", "Pz8+Pz8/", "SGVsbG8s\nIHdvcmxk\n",
                 "QU JD\r\nREVG", base64.b64encode(bytes(range(48))).decode()):
        save("base64", text)


if __name__ == "__main__":
    main()
