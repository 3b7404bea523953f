"""writer.py -- SummaryWriter: torch.utils.tensorboard's API, writing to a vizd daemon over HTTP.

Switching from TensorBoard is changing the import:

    from vizd_client import SummaryWriter          # was: from torch.utils.tensorboard import SummaryWriter
    writer = SummaryWriter("runs/mnist")           # the run is named "runs/mnist"
    writer.add_scalar("train/loss", loss, step)

How data travels
  - Scalars are buffered and sent in batches, one columnar item per tag ({"tag", "steps", "values",
    "wall_times"}), on flush(), every flush_secs seconds (a background thread) and as soon as max_queue
    points wait. Each point keeps the wall time of its add_scalar call.
  - Every other kind is sent at once, in the call: histograms as a raw float64 body (vizd bins them with
    TensorBoard's edges), tensors as raw float32, images/texts/graph/hparams through /api/v1/write.

Errors
  - vizd refusing an immediate write (add_image, add_text, ...) raises VizdError in that call, naming the
    field ("texts[0].tag").
  - A refused scalar batch is retried without the refused tag, so one bad tag loses only its own points;
    the VizdError (naming "scalars[K].tag" and the tag) is raised by flush(), close() or, when the
    background thread met it, by the next call on the writer.
  - A daemon that cannot be reached is retried `retries` times (delays retry_delay_s, x2, x4 ...), then
    VizdConnectionError is raised. Unsent scalar points stay in the buffer for the next flush.

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
import datetime
import os
import socket
import threading
import time
import warnings
import weakref

from . import graph as graph_export
from . import images as image_encode
from .errors import VizdConnectionError, VizdError
from .transport import Transport
from .values import json_number, json_value, raw_bytes, scalar, step_of, to_numpy

MAX_POINTS_PER_REQUEST = 100000  # vizd takes up to 1,000,000; smaller requests keep each commit short
TENSOR_DISPLAY_KEYS = ("kind", "colormap", "normalize", "overlay", "image_weight")


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
    flush_secs how often the background thread sends buffered scalars
    max_queue  buffered scalar points that trigger a send from add_scalar itself
    token      a bearer token for a vizd started with --token-file (default: $VIZD_TOKEN)
    timeout_s, retries, retry_delay_s   per request, see transport.py
    """

    def __init__(self, run=None, url="http://127.0.0.1:6006", log_dir=None, comment="", flush_secs=2,
                 max_queue=1000, *, token=None, timeout_s=30.0, retries=3, retry_delay_s=0.25,
                 purge_step=None, filename_suffix=""):
        if purge_step is not None:
            warnings.warn("vizd_client: purge_step is ignored (vizd replaces a step written again instead)",
                          stacklevel=2)
        name = run if run is not None else log_dir
        self.run = clean_run_name(name) if name is not None else default_run_name(comment)
        self.log_dir = self.run
        self.flush_secs = flush_secs
        self.max_queue = max(1, int(max_queue))
        self._transport = Transport(url, token=token if token is not None else os.environ.get("VIZD_TOKEN"),
                                    timeout_s=timeout_s, retries=retries, retry_delay_s=retry_delay_s)
        self.url = self._transport.url
        self._pending = []                   # (tag, step or None, value, wall_time), in call order
        self._pending_lock = threading.Lock()
        self._send_lock = threading.Lock()   # one batch at a time, so batches arrive in order
        self._background_error = None
        self._stop = threading.Event()
        self._thread = None
        self._warned = set()
        atexit.register(_close_at_exit, weakref.ref(self))

    # ---- TensorBoard's names ------------------------------------------------------------------------

    def get_logdir(self):
        return self.run

    # ---- scalars (buffered) -------------------------------------------------------------------------

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """Queue one point; sent with the next batch. new_style and double_precision are TensorBoard's
        event-file options, accepted and irrelevant here (vizd stores doubles)."""
        self._raise_background_error()
        point = (tag, step_of(global_step), scalar(scalar_value), float(walltime) if walltime is not None else time.time())
        with self._pending_lock:
            self._pending.append(point)
            is_full = len(self._pending) >= self.max_queue
        self._ensure_thread()
        if is_full:
            self._send_scalars()

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Queue one point per key as the tag "main_tag/key" of this run (see the module docstring)."""
        walltime = walltime if walltime is not None else time.time()
        for key, value in tag_scalar_dict.items():
            self.add_scalar("%s/%s" % (main_tag, key), value, global_step, walltime)

    # ---- kinds sent at once -------------------------------------------------------------------------

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Send the raw values; vizd bins them. bins: "tensorflow" (TensorBoard's default edges), an int
        N (N equal bins between the smallest and largest value), or any other numpy bins rule ("auto",
        "fd", a list of edges): binned here with numpy.histogram, as TensorBoard does."""
        self._raise_background_error()
        step = step_of(global_step)
        if (isinstance(bins, str) and bins == "tensorflow") or _is_int(bins):
            shape, data = raw_bytes(values, "float64")
            if not data:
                raise ValueError("add_histogram: values is empty")
            bins_n = 0 if isinstance(bins, str) else int(bins)
            params = {"run": self.run, "tag": tag, "dtype": "float64"}
            if step is not None:
                params["step"] = step
            if bins_n:
                params["bins"] = bins_n
            if walltime is not None:
                params["wall_time"] = repr(float(walltime))
            self._transport.post_raw("/api/v1/histograms", params, data, step is not None, self.run)
            return
        else:
            item = _numpy_histogram(values, bins, max_bins)
        self._write_items("histograms", tag, step, walltime, item)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: float in [0, 1] or uint8, 1 to 4 channels; axes named by dataformats. A batch
        (dataformats with N) is stored as add_images stores it."""
        self._raise_background_error()
        is_batch = "N" in dataformats.upper()
        self._send_images(tag, image_encode.pngs_of(img_tensor, dataformats, is_batch), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images, stored as items 0..N-1 of one step (TensorBoard makes one grid of them)."""
        self._raise_background_error()
        self._send_images(tag, image_encode.pngs_of(img_tensor, dataformats, True), global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them) rendered to PNG by matplotlib itself."""
        import io
        self._raise_background_error()
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
        self._raise_background_error()
        self._write_items("texts", tag, step_of(global_step), walltime, {"text": str(text_string)})

    def add_tensor(self, tag, tensor, global_step=None, display=None, walltime=None, index=None, dtype="float32"):
        """vizd only: a float tensor (1 to 8 dimensions) sent raw, with display hints, e.g.
        add_tensor("features.3.weight", conv.weight, display={"kind": "kernels", "colormap": "bwr"}).
        display keys: kind (kernels | feature_maps | heatmap), colormap (bwr | viridis | gray | jet),
        normalize (tile | global | symmetric), overlay (an image tag of the same step), image_weight."""
        self._raise_background_error()
        step = step_of(global_step)
        shape, data = raw_bytes(tensor, dtype)
        if not shape:
            shape = [1]  # a 0-d tensor is stored as one element
        display = dict(display or {})
        if all(key in TENSOR_DISPLAY_KEYS for key in display):
            params = {"run": self.run, "tag": tag, "shape": ",".join(str(n) for n in shape), "dtype": dtype}
            if step is not None:
                params["step"] = step
            if walltime is not None:
                params["wall_time"] = repr(float(walltime))
            if index is not None:
                params["index"] = int(index)
            params.update((key, value) for key, value in display.items())
            self._transport.post_raw("/api/v1/tensors", params, data, step is not None, self.run)
            return
        import base64  # the JSON form, so that vizd names an unknown hint as display.KEY
        item = {"shape": shape, "dtype": dtype, "data": base64.b64encode(data).decode("ascii"),
                "display": display}
        if index is not None:
            item["index"] = int(index)
        self._write_items("tensors", tag, step, walltime, item)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Run the model once on input_to_model and send its module calls and tensor ops (graph.py) as
        the run's graph (one per run; a new one replaces it). verbose and use_strict_trace are
        TensorBoard's tracing options, accepted and unused: nothing is traced."""
        self._raise_background_error()
        doc = {"run": self.run, "graph": graph_export.export_graph(model, input_to_model)}
        self._transport.post_json(doc, True, self.run)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """Set the hparams of this run (of "<run>/<run_name>" with run_name) and write metric_dict as its
        scalars, in one atomic write. hparam_domain_discrete is accepted and unused."""
        self._raise_background_error()
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict must be dicts")
        run = self.run if not run_name else self.run + "/" + str(run_name)
        step = step_of(global_step)
        scalars = []
        for tag, value in metric_dict.items():
            item = {"tag": tag, "value": json_number(scalar(value, "metric_dict[%r]" % (tag,)))}
            if step is not None:
                item["step"] = step
            scalars.append(item)
        doc = {"run": run, "hparams": {str(k): json_value(v) for k, v in hparam_dict.items()}, "scalars": scalars}
        self._transport.post_json(doc, step is not None or not scalars, run)

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

    def flush(self):
        """Send every buffered scalar now. Raises VizdError / VizdConnectionError for what failed, here or
        earlier in the background."""
        self._send_scalars()
        self._raise_background_error()

    def close(self):
        """Flush and stop the background thread. The writer can still be used: it starts again."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self.flush()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
            return
        try:  # keep the training script's own exception, not one about the logging
            self.close()
        except VizdError as error:
            warnings.warn("vizd_client: while closing after an error: %s" % error)

    # ---- internals ----------------------------------------------------------------------------------

    def _ensure_thread(self):
        if self._thread is not None or not self.flush_secs or self.flush_secs <= 0:
            return
        with self._pending_lock:  # two threads logging at once start one flusher
            if self._thread is not None:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._background, args=(weakref.ref(self), self._stop),
                                            name="vizd-client-flush", daemon=True)
            self._thread.start()

    @staticmethod
    def _background(writer_ref, stop):
        """Send buffered scalars every flush_secs. Holds the writer weakly, so an abandoned writer is
        collected (its atexit hook flushes what it still had)."""
        while True:
            writer = writer_ref()
            if writer is None:
                return
            interval = writer.flush_secs
            del writer
            if stop.wait(interval):
                return
            writer = writer_ref()
            if writer is None:
                return
            try:
                writer._send_scalars()
            except VizdError as error:
                writer._background_error = error
            del writer

    def _raise_background_error(self):
        error, self._background_error = self._background_error, None
        if error is not None:
            raise error

    def _send_scalars(self):
        """Send the buffer in batches. A refused tag is dropped from its batch and the rest resent; points
        that could not be sent for want of a connection go back to the buffer."""
        with self._send_lock:
            with self._pending_lock:
                points, self._pending = self._pending, []
            first_error = None
            while points:
                batch, points = points[:MAX_POINTS_PER_REQUEST], points[MAX_POINTS_PER_REQUEST:]
                try:
                    error = self._send_batch(batch)
                except VizdConnectionError as exc:
                    # Unreachable: keep the points for the next try, unless the batch may have been
                    # stored already (sent, answer lost), where sending it again would store its
                    # step-less points twice.
                    kept = points if exc.was_sent else batch + points
                    with self._pending_lock:
                        self._pending[:0] = kept
                    exc.unsent = len(batch) + len(points)
                    exc.args = (exc._describe() + (" (kept for the next flush)" if kept else ""),)
                    raise
                first_error = first_error or error
            if first_error is not None:
                raise first_error

    def _send_batch(self, points):
        """POST one batch; answer the first refusal (after storing everything else) or None."""
        items, item_points = scalar_items(points)
        first_error = None
        while items:
            is_idempotent = all("steps" in item for item in items)
            try:
                self._transport.post_json({"run": self.run, "scalars": items}, is_idempotent, self.run)
                return first_error
            except VizdError as error:
                if error.status is None:
                    raise
                bad = _item_index(error.path)
                if bad is None or bad >= len(items):
                    error.unsent = sum(item_points)
                    error.args = (error._describe(),)
                    return first_error or error
                error.tag = items[bad]["tag"]
                error.unsent = item_points[bad]
                error.args = (error._describe(),)
                first_error = first_error or error
                del items[bad]
                del item_points[bad]
        return first_error

    def _send_images(self, tag, pngs, global_step, walltime):
        import base64
        step = step_of(global_step)
        items = [{"index": index, "data": base64.b64encode(png).decode("ascii")} for index, png in enumerate(pngs)]
        self._write_items("images", tag, step, walltime, *items)

    def _write_items(self, kind, tag, step, walltime, *items):
        """One /api/v1/write of `kind` items for one tag and step (all sent at once, atomically)."""
        for item in items:
            item["tag"] = tag
            if step is not None:
                item["step"] = step
            if walltime is not None:
                item["wall_time"] = float(walltime)
        self._transport.post_json({"run": self.run, kind: list(items)}, step is not None, self.run)


def scalar_items(points):
    """Columnar items of (tag, step, value, wall_time) points: per tag in order of first appearance, one
    item per stretch of points that all have a step or all lack one (vizd's columnar form takes steps
    for every point or for none). Answers the items and the point count of each."""
    stretches = {}
    order = []
    for tag, step, value, wall_time in points:
        runs = stretches.get(tag)
        if runs is None:
            runs = stretches[tag] = []
            order.append(tag)
        has_step = step is not None
        if not runs or runs[-1][0] != has_step:
            runs.append((has_step, [], [], []))
        _, steps, values, wall_times = runs[-1]
        steps.append(step)
        values.append(json_number(value))
        wall_times.append(wall_time)
    items, counts = [], []
    for tag in order:
        for has_step, steps, values, wall_times in stretches[tag]:
            item = {"tag": tag, "values": values, "wall_times": wall_times}
            if has_step:
                item["steps"] = steps
            items.append(item)
            counts.append(len(values))
    return items, counts


def _item_index(path):
    """K of an error path "scalars[K]..." (None for anything else)."""
    if not path.startswith("scalars["):
        return None
    end = path.find("]")
    try:
        return int(path[len("scalars["):end])
    except ValueError:
        return None


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


def _close_at_exit(writer_ref):
    """Flush what a writer still holds when the interpreter exits (TensorBoard's writer does too)."""
    writer = writer_ref()
    if writer is None or not writer._pending:
        return
    try:
        writer.close()
    except VizdError as error:
        warnings.warn("vizd_client: at exit: %s" % error)
