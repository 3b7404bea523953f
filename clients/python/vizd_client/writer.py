"""writer.py -- SummaryWriter: torch.utils.tensorboard's API, writing to a vizd daemon over HTTP.

Switching from TensorBoard is changing the import:

    from vizd_client import SummaryWriter          # was: from torch.utils.tensorboard import SummaryWriter
    writer = SummaryWriter("runs/mnist")           # the run is named "runs/mnist"
    writer.add_scalar("train/loss", loss, step)

How data travels (courier.py, outbox.py, spool.py)
  - No add_* call talks to vizd. Each checks its arguments, encodes the data (a PNG, raw floats, JSON)
    and queues it; the writer's background thread sends it. Scalars gather in a buffer and become one
    record per max_queue points, or after flush_secs; one columnar item per tag, many records merged
    into one request. Each item keeps the wall time of its call.
  - What cannot be delivered now (vizd stopped, restarting, slow, unreachable) goes to the spool, a file
    in ~/.cache/vizd/spool/ (or spool_dir=), and is sent, in order, when vizd answers again; see
    clients/python/README.md, "When vizd is away".

Errors
  - A caller's mistake (a tag that is not 1..256 bytes of UTF-8, a step outside int64, an image of the
    wrong shape, an unknown display hint) raises ValueError or TypeError in the call.
  - Nothing about the network is raised by add_* or close(). vizd refusing an item (4xx naming a field)
    drops only that item, with a VizdWarning naming the field.
  - flush(wait=True) waits for delivery and raises VizdConnectionError (vizd unreachable; the data stays
    in the spool) or the first VizdError vizd answered since the last flush(wait=True).

Where vizd differs from TensorBoard (on purpose)
  - A step left out (global_step=None) is "the tag's last step + 1" (0 for a new tag), not 0.
  - add_scalars writes tags "main_tag/tag" in this run; TensorBoard writes one run per key
    ("<log_dir>/main_tag_tag") holding the tag main_tag.
  - add_images stores one image per item (index 0..N-1) instead of one grid; images keep 1 or 4 channels.
  - add_hparams sets the hparams of this run (or of "<run>/<run_name>") and writes the metrics as its
    scalars; TensorBoard makes a new timestamped run on every call.
  - add_tensor (vizd only): a float tensor shown as kernels, feature maps or a heatmap.
"""

import atexit
import base64
import datetime
import math
import os
import socket
import time
import warnings

from . import graph as graph_export
from . import images as image_encode
from . import spool as spool_format
from .courier import Courier
from .transport import Transport
from .values import json_number, json_value, raw_bytes, scalar, step_of, to_numpy

TENSOR_DISPLAY_CHOICES = {"kind": ("kernels", "feature_maps", "heatmap"), "colormap": ("bwr", "viridis", "gray", "jet"),
                          "normalize": ("tile", "global", "symmetric")}
TENSOR_DISPLAY_KEYS = ("kind", "colormap", "normalize", "overlay", "image_weight")
MAX_NAME_BYTES = 256                      # vizd's limit on run and tag names
MAX_TENSOR_DIMS = 8
MAX_TENSOR_ELEMENTS = 16 * 1024 * 1024
MAX_HISTOGRAM_BINS = 10000
STEP_RANGE = (-(1 << 63), (1 << 63) - 1)
KNOWN_TAGS_LIMIT = 100000                 # tags already checked, remembered so add_scalar checks each once


def default_run_name(comment=""):
    """TensorBoard's default log_dir: runs/<Mon DD_HH-MM-SS>_<host><comment>."""
    now = datetime.datetime.now().strftime("%b%d_%H-%M-%S")
    return "runs/" + now + "_" + socket.gethostname() + comment


def clean_run_name(name):
    """A log_dir as a run name: "./runs/" and "runs" name the same run; the path is kept otherwise."""
    name = str(os.fspath(name)).replace(os.sep, "/")
    while name.startswith("./"):
        name = name[2:]
    while len(name) > 1 and name.endswith("/"):
        name = name[:-1]
    return name


class SummaryWriter:
    """Writes scalars, histograms, images, tensors, texts, a model graph and hparams to one vizd run.

    run        the run name; defaults to log_dir, else TensorBoard's "runs/<date>_<host><comment>"
    url        where vizd listens
    log_dir    TensorBoard's name for the run, accepted so existing calls keep working
    comment    appended to the default run name (ignored when run or log_dir is given, as in TensorBoard)
    flush_secs how often buffered scalars are sent (by the background thread)
    max_queue  buffered scalar points that make one record, sent at once
    token      a bearer token for a vizd started with --token-file (default: $VIZD_TOKEN)
    spool_dir  where undeliverable data waits (default ~/.cache/vizd/spool, or $XDG_CACHE_HOME/vizd/spool)
    spool_limit_bytes  the largest this writer's spool grows (default 1 GiB); beyond it the oldest goes
    close_timeout_s    how long close() waits for delivery before leaving the rest in the spool
    timeout_s, retries, retry_delay_s   per request, see transport.py
    """

    def __init__(self, run=None, url="http://127.0.0.1:6006", log_dir=None, comment="", flush_secs=2,
                 max_queue=1000, *, token=None, timeout_s=30.0, retries=3, retry_delay_s=0.25,
                 spool_dir=None, spool_limit_bytes=1 << 30, close_timeout_s=10.0,
                 purge_step=None, filename_suffix=""):
        if purge_step is not None:
            warnings.warn("vizd_client: purge_step is ignored (vizd replaces a step written again instead)",
                          stacklevel=2)
        name = run if run is not None else log_dir
        self.run = check_name(clean_run_name(name) if name is not None else default_run_name(comment), "run")
        self.log_dir = self.run
        self.flush_secs = flush_secs
        self.max_queue = max(1, int(max_queue))
        self._transport = Transport(url, token=token if token is not None else os.environ.get("VIZD_TOKEN"),
                                    timeout_s=timeout_s, retries=retries, retry_delay_s=retry_delay_s)
        self.url = self._transport.url
        self.spool_dir = os.fspath(spool_dir) if spool_dir is not None else spool_format.default_dir()
        self._courier = Courier(self._transport, self.run, self.spool_dir, self.max_queue, flush_secs,
                                close_timeout_s, int(spool_limit_bytes))
        self._known_tags = set()
        self._warned = set()
        if spool_format.list_spools(self.spool_dir, self.run):
            self._courier.start()  # deliver what an earlier writer of this run left behind
        atexit.register(self._courier.close_at_exit)

    # ---- TensorBoard's names ------------------------------------------------------------------------

    def get_logdir(self):
        return self.run

    # ---- scalars (buffered) -------------------------------------------------------------------------

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """Queue one point. new_style and double_precision are TensorBoard's event-file options, accepted
        and irrelevant here (vizd stores doubles)."""
        if tag not in self._known_tags:
            self._check_tag(tag)
        self._courier.add_point((tag, check_step(global_step), json_number(scalar(scalar_value)),
                                 wall_time_of(walltime) if walltime is not None else time.time()))

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Queue one point per key as the tag "main_tag/key" of this run (see the module docstring)."""
        walltime = walltime if walltime is not None else time.time()
        for key, value in tag_scalar_dict.items():
            self.add_scalar("%s/%s" % (main_tag, key), value, global_step, walltime)

    # ---- the other kinds: one record each -------------------------------------------------------------------------

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Send the raw values; vizd bins them. bins: "tensorflow" (TensorBoard's default edges), an int
        N (N equal bins between the smallest and largest value), or any other numpy bins rule ("auto",
        "fd", a list of edges): binned here with numpy.histogram, as TensorBoard does."""
        self._check_tag(tag)
        step = check_step(global_step)
        walltime = wall_time_of(walltime)
        if (isinstance(bins, str) and bins == "tensorflow") or _is_int(bins):
            shape, data = raw_bytes(values, "float64")
            if not data:
                raise ValueError("add_histogram: values is empty")
            bins_n = 0 if isinstance(bins, str) else int(bins)
            if bins_n and not 1 <= bins_n <= MAX_HISTOGRAM_BINS:
                raise ValueError("add_histogram: bins must be 1 to %d, got %d" % (MAX_HISTOGRAM_BINS, bins_n))
            params = {"run": self.run, "tag": tag, "dtype": "float64", "wall_time": repr(walltime)}
            if step is not None:
                params["step"] = step
            if bins_n:
                params["bins"] = bins_n
            self._courier.put(spool_format.Record("raw", self.run, path="/api/v1/histograms", params=params,
                                                  body=data, counts={"histograms": 1}))
            return
        item = _numpy_histogram(values, bins, max_bins)
        self._write_items("histograms", tag, step, walltime, item)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: float in [0, 1] or uint8, 1 to 4 channels; axes named by dataformats. A batch
        (dataformats with N) is stored as add_images stores it."""
        self._check_tag(tag)
        is_batch = "N" in dataformats.upper()
        self._send_images(tag, image_encode.pngs_of(img_tensor, dataformats, is_batch), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images, stored as items 0..N-1 of one step (TensorBoard makes one grid of them)."""
        self._check_tag(tag)
        self._send_images(tag, image_encode.pngs_of(img_tensor, dataformats, True), global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them) rendered to PNG by matplotlib itself."""
        import io
        self._check_tag(tag)
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        pngs = []
        for fig in figures:
            out = io.BytesIO()
            fig.savefig(out, format="png")
            pngs.append(out.getvalue())
            if close:
                import matplotlib.pyplot as plt
                plt.close(fig)
        self._send_images(tag, pngs, global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Markdown text (shown rendered, never as HTML)."""
        self._check_tag(tag)
        self._write_items("texts", tag, check_step(global_step), walltime, {"text": str(text_string)})

    def add_tensor(self, tag, tensor, global_step=None, display=None, walltime=None, index=None, dtype="float32"):
        """vizd only: a float tensor (1 to 8 dimensions) sent raw, with display hints, e.g.
        add_tensor("features.3.weight", conv.weight, display={"kind": "kernels", "colormap": "bwr"}).
        display keys: kind (kernels | feature_maps | heatmap), colormap (bwr | viridis | gray | jet),
        normalize (tile | global | symmetric), overlay (an image tag of the same step), image_weight."""
        self._check_tag(tag)
        step = check_step(global_step)
        display = check_display(dict(display or {}))
        shape, data = raw_bytes(tensor, dtype)
        if not shape:
            shape = [1]  # a 0-d tensor is stored as one element
        if len(shape) > MAX_TENSOR_DIMS or not data or len(data) // (4 if dtype == "float32" else 8) > MAX_TENSOR_ELEMENTS:
            raise ValueError("add_tensor: a tensor of 1 to %d dimensions and 1 to %d elements is needed, got shape %s"
                             % (MAX_TENSOR_DIMS, MAX_TENSOR_ELEMENTS, tuple(shape)))
        params = {"run": self.run, "tag": tag, "shape": ",".join(str(n) for n in shape), "dtype": dtype,
                  "wall_time": repr(wall_time_of(walltime))}
        if step is not None:
            params["step"] = step
        if index is not None:
            params["index"] = int(index)
        params.update((key, value) for key, value in display.items())
        self._courier.put(spool_format.Record("raw", self.run, path="/api/v1/tensors", params=params, body=data,
                                              counts={"tensors": 1}))

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Run the model once on input_to_model and send its module calls and tensor ops (graph.py) as
        the run's graph (one per run; a new one replaces it). verbose and use_strict_trace are
        TensorBoard's tracing options, accepted and unused: nothing is traced."""
        doc = {"run": self.run, "graph": graph_export.export_graph(model, input_to_model)}
        self._put_doc(doc, {"graph": 1})

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """Set the hparams of this run (of "<run>/<run_name>" with run_name) and write metric_dict as its
        scalars, in one atomic write. The metric tags go into the hparams as "metrics", as vizd's event-file
        importer records them, so the HParams view shows them by default. hparam_domain_discrete is
        accepted and unused."""
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict must be dicts")
        run = self.run if not run_name else check_name(self.run + "/" + str(run_name), "run_name")
        step = check_step(global_step)
        wall_time = time.time()
        scalars = []
        for tag, value in metric_dict.items():
            item = {"tag": check_name(tag, "metric_dict key"), "value": json_number(scalar(value, "metric_dict[%r]" % (tag,))),
                    "wall_time": wall_time}
            if step is not None:
                item["step"] = step
            scalars.append(item)
        hparams = {str(k): json_value(v) for k, v in hparam_dict.items()}
        if scalars:
            hparams["metrics"] = [item["tag"] for item in scalars]
        doc = {"run": run, "hparams": hparams, "scalars": scalars}
        self._put_doc(doc, {"hparams": 1, "scalars": len(scalars)})

    # ---- TensorBoard calls vizd has no view for ------------------------------------------------------

    def _unsupported(self, name):
        if name not in self._warned:
            self._warned.add(name)
            warnings.warn("vizd_client: %s is not supported by vizd; the call is ignored" % name, stacklevel=3)

    def add_audio(self, *args, **kwargs):
        self._unsupported("add_audio")

    def add_video(self, *args, **kwargs):
        self._unsupported("add_video")

    def add_embedding(self, *args, **kwargs):
        self._unsupported("add_embedding")

    def add_pr_curve(self, *args, **kwargs):
        self._unsupported("add_pr_curve")

    def add_mesh(self, *args, **kwargs):
        self._unsupported("add_mesh")

    def add_custom_scalars(self, *args, **kwargs):
        self._unsupported("add_custom_scalars")

    # ---- flushing and closing -----------------------------------------------------------------------

    def flush(self, wait=False):
        """Make everything logged so far safe: what vizd has not acknowledged yet is written to the spool
        and fsync'd, so it survives even a killed process. Does not wait for vizd.

        wait=True: send everything now and wait for vizd to store it. Raises VizdConnectionError when vizd
        cannot be reached (the data stays in the spool), or the first VizdError vizd answered (an item
        it refused) since the last flush(wait=True)."""
        self._courier.flush(wait=wait)

    def close(self):
        """Send what is left, waiting at most close_timeout_s; what vizd has not taken by then stays in the
        spool (a warning says where). Never raises because of the network. The writer can still be used
        afterwards: it starts again."""
        self._courier.close()

    def dropped_counts(self):
        """What the spool limit (or a disk that could not be written) made this writer drop, by kind:
        {"scalars": points, "histograms": n, ...}; empty when nothing was lost."""
        return dict(self._courier.dropped)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()

    # ---- internals ----------------------------------------------------------------------------------

    def _check_tag(self, tag):
        check_name(tag, "tag")
        if len(self._known_tags) >= KNOWN_TAGS_LIMIT:
            self._known_tags.clear()
        self._known_tags.add(tag)

    def _put_doc(self, doc, counts, size_bytes=1 << 16):
        self._courier.put(spool_format.Record("write", doc["run"], doc=doc, counts=counts, size_bytes=size_bytes))

    def _send_images(self, tag, pngs, global_step, walltime):
        step = check_step(global_step)
        items = [{"index": index, "data": base64.b64encode(png).decode("ascii")} for index, png in enumerate(pngs)]
        self._write_items("images", tag, step, walltime, *items)

    def _write_items(self, kind, tag, step, walltime, *items):
        """One record of `kind` items for one tag and step, stored by vizd all at once."""
        wall_time = wall_time_of(walltime)
        size = 256
        for item in items:
            item["tag"] = tag
            if step is not None:
                item["step"] = step
            item["wall_time"] = wall_time
            size += len(item.get("data", "")) + len(item.get("text", "")) + 64
        self._put_doc({"run": self.run, kind: list(items)}, {kind: len(items)}, size)


def check_name(name, what):
    """A run or tag name as vizd takes it: 1..256 bytes of UTF-8, no control characters."""
    if not isinstance(name, str):
        raise TypeError("%s must be a string, got %s" % (what, type(name).__name__))
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise ValueError("%s %r is not valid UTF-8 (%s)" % (what, name[:60], exc.reason)) from exc
    if not 1 <= size <= MAX_NAME_BYTES:
        raise ValueError("%s must be 1 to %d bytes of UTF-8, got %d bytes: %r"
                         % (what, MAX_NAME_BYTES, size, name[:60] + ("..." if len(name) > 60 else "")))
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise ValueError("%s must not hold control characters: %r" % (what, name[:60]))
    return name


def check_step(step):
    """step_of, and within vizd's range (int64)."""
    step = step_of(step)
    if step is not None and not STEP_RANGE[0] <= step <= STEP_RANGE[1]:
        raise ValueError("global_step must fit in int64, got %d" % step)
    return step


def wall_time_of(walltime):
    """A wall time (seconds since the epoch) as vizd takes it: a finite float; now when None. Set in the
    call, so an item delivered late still says when it was logged."""
    if walltime is None:
        return time.time()
    wall_time = float(walltime)
    if not math.isfinite(wall_time):
        raise ValueError("walltime must be a finite number of seconds, got %r" % (walltime,))
    return wall_time


def check_display(display):
    """add_tensor's display hints, checked as vizd checks them (so a typo raises in the call)."""
    for key, value in display.items():
        if key not in TENSOR_DISPLAY_KEYS:
            raise ValueError("display.%s: unknown display hint (known: %s)" % (key, ", ".join(TENSOR_DISPLAY_KEYS)))
        choices = TENSOR_DISPLAY_CHOICES.get(key)
        if choices is not None and value not in choices:
            raise ValueError("display.%s must be one of %s, got %r" % (key, ", ".join(choices), value))
    if "overlay" in display:
        check_name(display["overlay"], "display.overlay")
    if "image_weight" in display:
        weight = display["image_weight"]
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise ValueError("display.image_weight must be a number from 0 to 1, got %r" % (weight,))
        display["image_weight"] = repr(float(weight))
    return display


def _is_int(x):
    """An int or a numpy integer (not a bool)."""
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (type(x).__name__.startswith("int") and hasattr(x, "item"))


def _numpy_histogram(values, bins, max_bins):
    """A precomputed histogram with numpy.histogram (any numpy bins rule), as TensorBoard's
    make_histogram computes it (max_bins merges neighbouring bins as it does)."""
    import numpy as np
    array = to_numpy(values)
    array = (np.asarray(values) if array is None else array).astype(np.float64).reshape(-1)
    if array.size == 0:
        raise ValueError("add_histogram: values is empty")
    counts, limits = np.histogram(array, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        subsampling = len(counts) // max_bins
        remainder = len(counts) % subsampling
        if remainder:
            counts = np.pad(counts, pad_width=[[0, subsampling - remainder]], mode="constant", constant_values=0)
        counts = counts.reshape(-1, subsampling).sum(axis=-1)
        limits = np.concatenate([limits[:-1:subsampling], limits[-1:]])
    return {"min": float(array.min()), "max": float(array.max()), "num": int(array.size),
            "sum": float(array.sum()), "sum_squares": float(array.dot(array)),
            "bucket_limits": [float(x) for x in limits[1:]], "bucket_counts": [float(c) for c in counts]}
