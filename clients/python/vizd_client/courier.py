"""courier.py -- the writer's background thread: it alone talks to vizd, so logging never waits on it.

A SummaryWriter hands every record to its Courier (scalar points first gather in a list and become one
record per max_queue points, or after flush_secs). The courier's thread takes the oldest records from the
outbox (outbox.py), sends them, and acknowledges them. What happens when sending fails:

  - vizd cannot be reached (refused, reset, timed out; or it answers 5xx, 401/403, 408, 429): nothing is
    lost. The thread spills memory to the spool, warns once ("cannot be reached ... spool PATH"), and
    tries again after a delay that doubles from retry_delay_s up to RETRY_MAX_DELAY_S. While vizd is
    away every new record goes to the spool. When everything spooled has been delivered it warns once
    more ("is back").
  - vizd refuses an item (4xx naming a field): only that item is dropped, with a warning naming the
    field; the rest of the request is sent again without it (vizd stores nothing of a refused write).
    A refusal that names no item drops only its own record (a merged request is split to find it).

A request whose answer was lost is sent again: vizd replaces a (run, tag, step) written twice, so that is
exact for every item that names its step; an item logged without a step may then be stored twice.

flush() makes everything logged so far durable without waiting for vizd: what is not yet delivered is
spilled to the spool and fsync'd. flush(wait=True) waits for delivery and raises VizdConnectionError
when vizd cannot be reached, or the first VizdError vizd answered since the last flush(wait=True).
close() waits at most close_timeout_s, then leaves the rest in the spool and says so.
"""

import os
import threading
import time
import warnings

from . import outbox as outbox_module
from . import spool as spool_format
from .errors import VizdConnectionError, VizdError, VizdWarning

RETRY_MAX_DELAY_S = 5.0
MEMORY_LIMIT_BYTES = 16 << 20
NOT_A_REFUSAL = (401, 403, 407, 408, 429)   # 4xx answers that say "not now", not "never"


class Courier:
    def __init__(self, transport, run, spool_dir, max_queue, flush_secs, close_timeout_s, spool_limit_bytes,
                 memory_limit_bytes=MEMORY_LIMIT_BYTES):
        self.transport = transport
        self.run = run
        self.spool_dir = spool_dir
        self.max_queue = max_queue
        self.flush_secs = flush_secs if flush_secs and flush_secs > 0 else None
        self.close_timeout_s = close_timeout_s
        self.spool_limit_bytes = spool_limit_bytes
        self.memory_limit_bytes = memory_limit_bytes
        self._points = []                  # (tag, step or None, value, wall_time) not yet in a record
        self._points_since = None          # monotonic time of the oldest of them
        self._points_lock = threading.Lock()
        self._state = threading.Condition()  # guards what follows; notified on every ack and failure
        self._outbox = None
        self._thread = None
        self._wake = threading.Event()
        self._stop = None
        self._is_forced = False            # flush(wait=True) or close() wants an attempt now
        self._failures = 0
        self._last_failure = None
        self._refusals = []                # VizdErrors since the last flush(wait=True)
        self._unreachable_since = None
        self._has_warned_spool_error = False
        self._has_warned_drop = False
        self._has_warned_bug = False
        self.dropped = {}                  # what the spool limit or a full disk cost, by kind
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget_parent)

    def _forget_parent(self):
        """In a forked child (a DataLoader worker): the parent's thread and spool are not ours. Logging
        here starts a thread and a spool of the child's own."""
        self._thread = None
        self._outbox = None
        self._points_lock = threading.Lock()
        self._state = threading.Condition()
        self._wake = threading.Event()

    # ---- logging (the caller's thread) --------------------------------------------------------------

    def add_point(self, point):
        with self._points_lock:
            self._points.append(point)
            if self._points_since is None:
                self._points_since = time.monotonic()
            is_full = len(self._points) >= self.max_queue
        if is_full:
            self.cut_points()
        elif self._thread is None:
            self.start()

    def put(self, record):
        self.start()
        self._outbox.put(record)
        self._wake.set()

    def cut_points(self):
        """Turn the points gathered so far into records (one per tag stretch, see scalar_record)."""
        with self._points_lock:
            points, self._points = self._points, []
            self._points_since = None
        for start in range(0, len(points), outbox_module.MERGE_MAX_POINTS):
            self.put(scalar_record(self.run, points[start:start + outbox_module.MERGE_MAX_POINTS]))

    # ---- flush and close ----------------------------------------------------------------------------

    def flush(self, wait=False):
        self.cut_points()
        outbox = self._outbox
        if outbox is None:
            return
        target = outbox.last_seq
        if not wait:
            if not outbox.is_delivered(target):
                outbox.spill(sync=True)
            return
        with self._state:
            failures = self._failures
            self._is_forced = True
            self._wake.set()
            self._state.wait_for(lambda: outbox.is_delivered(target) or self._failures > failures
                                 or not self._is_running())
            is_delivered = outbox.is_delivered(target)
            refusals, self._refusals = self._refusals, []
            failure = self._last_failure
        if not is_delivered:
            outbox.spill(sync=True)
            message = "vizd at %s cannot be reached (%s); everything logged is kept in the spool %s" % (
                self.transport.url, _reason(failure) if failure is not None else "the background thread stopped",
                outbox.spool_path or self.spool_dir)
            raise VizdConnectionError(message, run=self.run, url=self.transport.url) from (
                failure if isinstance(failure, BaseException) else None)
        if refusals:
            raise refusals[0]

    def close(self):
        """Deliver for at most close_timeout_s, then leave the rest in the spool. Never raises for the
        network. Answers the spool paths left behind."""
        self.cut_points()
        outbox = self._outbox
        if outbox is None:
            return []
        target = outbox.last_seq
        deadline = time.monotonic() + max(0.0, self.close_timeout_s)
        with self._state:
            failures = self._failures
            self._is_forced = True
            self._wake.set()
            while not outbox.is_delivered(target) and self._is_running():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._unreachable_since is not None and self._failures > failures):
                    break  # vizd is away (one more attempt failed): waiting longer would only delay exit
                self._state.wait(min(remaining, 0.5))
            self._stop.set()
            self._wake.set()
            self._thread = None
            self._outbox = None
        left = outbox.close()
        if left:
            waiting = sum(_size_of(path) for path in left)
            warnings.warn("vizd_client: closing run %r: vizd at %s did not take everything within "
                          "close_timeout_s=%gs; %s stay in the spool %s. They are sent by the next "
                          "SummaryWriter of this run, or now with: python -m vizd_client sync %s"
                          % (self.run, self.transport.url, self.close_timeout_s, _bytes_text(waiting),
                             ", ".join(left), self.spool_dir), VizdWarning, stacklevel=3)
        return left

    def close_at_exit(self):
        """At interpreter exit, deliver what the writer still holds (TensorBoard's writer flushes too)."""
        if self._outbox is not None or self._points:
            self.close()

    # ---- the background thread ----------------------------------------------------------------------

    def start(self):
        if self._thread is not None:
            return
        with self._state:
            if self._thread is not None:
                return
            self._outbox = outbox_module.Outbox(self.spool_dir, self.run, self.transport.url, self.memory_limit_bytes,
                                                self.spool_limit_bytes, self._on_dropped, self._on_spool_error)
            self._outbox.adopt_leftovers()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(self._outbox, self._stop),
                                            name="vizd-client", daemon=True)
            self._thread.start()

    def _is_running(self):
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _run(self, outbox, stop):
        """The thread's body: deliver until close(). An unexpected error (a full disk while reading a
        spool, a bug) is reported and the loop goes on after a pause: the thread must outlive it."""
        while not stop.is_set():
            try:
                self._deliver(outbox, stop)
            except Exception as exc:
                if not self._has_warned_bug:
                    self._has_warned_bug = True
                    warnings.warn("vizd_client: the background thread met %s: %s; it goes on trying every second"
                                  % (type(exc).__name__, exc), VizdWarning, stacklevel=2)
                stop.wait(1.0)

    def _deliver(self, outbox, stop):
        delay = self.transport.retry_delay_s or 0.25
        retry_at = 0.0
        while not stop.is_set():
            self._wake.clear()
            if self._points_since is not None and self.flush_secs is not None and \
                    time.monotonic() - self._points_since >= self.flush_secs:
                self.cut_points()
            is_away = self._unreachable_since is not None
            if is_away:
                outbox.spill()
            if is_away and time.monotonic() < retry_at and not self._is_forced:
                self._wake.wait(self._sleep_s(retry_at - time.monotonic()))
                continue
            self._is_forced = False
            batch = outbox.take()
            if batch is None:
                if is_away:
                    self._back(outbox)
                self._wake.wait(self._sleep_s(None))
                continue
            try:
                refusals = send_records(self.transport, batch.records)
            except VizdError as exc:  # not delivered now (unreachable, 5xx, 401 ...): kept, tried again
                if stop.is_set():
                    return
                self._unreachable(outbox, exc)
                retry_at = time.monotonic() + delay
                delay = min(delay * 2, RETRY_MAX_DELAY_S)
                continue
            except Exception as exc:  # a bug of ours must not end delivery of everything after it
                refusals = [VizdError("vizd_client could not send a record (%s: %s); it is dropped"
                                      % (type(exc).__name__, exc), run=self.run, url=self.transport.url)]
            if stop.is_set():
                return  # close() took over the outbox; what was just sent is still in its spool
            delay = self.transport.retry_delay_s or 0.25
            outbox.ack(batch)
            for error in refusals:
                warnings.warn("vizd_client: %s; that item is dropped, the rest of its request was stored" % error,
                              VizdWarning, stacklevel=2)
            with self._state:
                self._refusals.extend(refusals)
                self._state.notify_all()

    def _sleep_s(self, until_retry_s):
        """How long the thread may sleep: until the next retry, or until buffered points are due."""
        sleep = 1.0 if until_retry_s is None else max(0.0, until_retry_s)
        if self._points_since is not None and self.flush_secs is not None:
            sleep = min(sleep, max(0.0, self._points_since + self.flush_secs - time.monotonic()))
        return sleep

    def _unreachable(self, outbox, exc):
        is_new = self._unreachable_since is None
        if is_new:
            self._unreachable_since = time.time()
        outbox.spill()
        with self._state:
            self._failures += 1
            self._last_failure = exc
            self._state.notify_all()
        if is_new:
            where = outbox.spool_path or "memory (the spool folder %s cannot be written)" % self.spool_dir
            warnings.warn("vizd_client: vizd at %s cannot be reached since %s (%s). Run %r keeps logging to "
                          "the spool %s and sends it when vizd is back"
                          % (self.transport.url, time.strftime("%H:%M:%S", time.localtime(self._unreachable_since)),
                             _reason(exc), self.run, where), VizdWarning, stacklevel=2)

    def _back(self, outbox):
        since = self._unreachable_since
        self._unreachable_since = None
        warnings.warn("vizd_client: vizd at %s is back (it was away since %s); everything spooled for run %r "
                      "was delivered" % (self.transport.url, time.strftime("%H:%M:%S", time.localtime(since)),
                                         self.run), VizdWarning, stacklevel=2)

    def _on_spool_error(self, exc):
        if self._has_warned_spool_error:
            return
        self._has_warned_spool_error = True
        warnings.warn("vizd_client: cannot write the spool in %s (%s: %s). Training goes on; undelivered data is "
                      "kept in memory up to %s and the oldest is dropped beyond that"
                      % (self.spool_dir, type(exc).__name__, exc, _bytes_text(self.memory_limit_bytes)),
                      VizdWarning, stacklevel=2)

    def _on_dropped(self, counts, first_logged, last_logged, why):
        for kind, n in counts.items():
            self.dropped[kind] = self.dropped.get(kind, 0) + n
        if self._has_warned_drop:
            return
        self._has_warned_drop = True
        span = ""
        if first_logged is not None and last_logged is not None:
            span = " logged from %s to %s" % (time.strftime("%H:%M:%S", time.localtime(first_logged)),
                                               time.strftime("%H:%M:%S", time.localtime(last_logged)))
        warnings.warn("vizd_client: %s while vizd at %s is away: dropped the oldest data of run %r (%s%s) and kept "
                      "the newest. Later drops are not reported one by one; writer.dropped_counts() totals them. "
                      "Raise spool_limit_bytes= to keep more" % (why, self.transport.url, self.run,
                                                                  _counts_text(counts), span),
                      VizdWarning, stacklevel=2)


def scalar_record(run, points):
    """One /api/v1/write record of (tag, step, value, wall_time) points."""
    items, _ = scalar_items(points)
    return spool_format.Record("write", run, doc={"run": run, "scalars": items}, counts={"scalars": len(points)},
                               size_bytes=64 + 48 * len(points))


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
        values.append(value)
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


# ---- sending (also used by `python -m vizd_client sync`) --------------------------------------------

def send_records(transport, records):
    """Send records in one request (several /api/v1/write documents merged into one). Answers the
    refusals (VizdError, each naming its field) of the items vizd would not take; everything else was
    stored. Raises VizdError when nothing could be delivered now (unreachable, 5xx, 401, ...)."""
    if len(records) == 1 and records[0].kind == "raw":
        record = records[0]
        try:
            transport.post_raw(record.path, record.params, record.body, record.is_idempotent, record.run)
        except VizdError as error:
            if not is_refusal(error):
                raise
            error.tag = record.params.get("tag")
            error.args = (error._describe(),)
            return [error]
        return []
    run = records[0].run
    doc = merge_docs(records)
    refusals = []
    while True:
        try:
            transport.post_json(doc, spool_format.doc_is_idempotent(doc), run)
            return refusals
        except VizdError as error:
            if not is_refusal(error):
                raise
            key, index = _item_of(error.path)
            items = doc.get(key)
            if isinstance(items, list) and index is not None and index < len(items):
                item = items.pop(index)
                if not items:
                    del doc[key]
                error.tag = item.get("tag") if isinstance(item, dict) else None
            elif key in outbox_module.SINGLE_KEYS and key in doc:
                del doc[key]
            elif len(records) > 1:  # a refusal of the whole request: find the record it is about
                for record in records:
                    refusals.extend(send_records(transport, [record]))
                return refusals
            else:
                refusals.append(_described(error))
                return refusals
            refusals.append(_described(error))
            if not any(k != "run" for k in doc):
                return refusals


def merge_docs(records):
    doc = {"run": records[0].run}
    for record in records:
        for key, value in record.doc.items():
            if key == "run":
                continue
            if isinstance(value, list):
                doc.setdefault(key, []).extend(value)
            else:
                doc[key] = value
    return doc


def is_refusal(error):
    """vizd answered "never" (a 4xx about the request), not "not now"."""
    return error.status is not None and 400 <= error.status < 500 and error.status not in NOT_A_REFUSAL


def _described(error):
    error.args = (error._describe(),)
    return error


def _item_of(path):
    """("images", 3) of "images[3].data"; ("hparams", None) of "hparams.lr"; (path, None) otherwise."""
    head = path.split(".", 1)[0]
    if head.endswith("]") and "[" in head:
        key, _, index = head[:-1].partition("[")
        try:
            return key, int(index)
        except ValueError:
            return key, None
    return head, None


def _reason(exc):
    if isinstance(exc, VizdError) and exc.status in (401, 403):
        return "it refused the token: %s" % exc.server_message
    if isinstance(exc, VizdError) and exc.status is not None:
        return "it answered %s: %s" % (exc.status, exc.server_message)
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    return "%s: %s" % (type(cause).__name__, cause)


def _size_of(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _bytes_text(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d bytes" % n


KIND_ORDER = ("scalars", "histograms", "images", "tensors", "texts", "graph", "hparams")


def _counts_text(counts):
    """ "1,000 scalar points, 3 histograms" of {"histograms": 3, "scalars": 1000}."""
    names = {"scalars": "scalar points"}
    kinds = sorted(counts, key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER), k))
    return ", ".join("{:,} {}".format(counts[kind], names.get(kind, kind)) for kind in kinds)
