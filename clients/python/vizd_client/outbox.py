"""outbox.py -- a writer's records on their way to vizd: in memory while that is cheap, on disk otherwise.

The outbox is one ordered queue. Every record gets a sequence number when it is logged; vizd receives
records in that order. The queue lives in three places, oldest first:

    leftovers   spools of this run that an earlier writer (a crashed job, a closed writer) left behind
    own spool   this writer's spool file: records spilled from memory, in order
    memory      records logged since the last spill

Records move from memory to the spool (a "spill") when vizd cannot be reached, when memory holds more
than memory_limit_bytes (a slow or stalled vizd), and on flush/close, so that a flushed record survives
the process. A spill takes every record in memory at once, under the file lock, so the spool stays in
sequence order. The background thread (the only one that sends) takes the oldest records with take(),
sends them, and acknowledges them with ack(): acknowledged records are dropped from memory, the spool's
acked offset moves past them, and a spool whose every record is acknowledged is deleted.

A record may be spilled while it is being sent (memory was full): it is then both in the spool and in
flight. That is harmless: ack() remembers the highest acknowledged sequence number and the spool reader
skips records below it.

Two limits keep a long outage from filling memory or the disk: memory_limit_bytes (beyond it the caller
itself spills) and spool_limit_bytes (beyond it the oldest records of the spool are dropped, newest
kept, and on_dropped is told what went). A spool that cannot be written (disk full) is reported once
through on_spool_error; records then stay in memory up to the memory limit, the oldest dropped beyond.

Locks: _file_lock (the spool file and everything about it) is taken before _lock (memory), never the
other way round. Callers logging a record take only _lock, unless memory is full.
"""

import collections
import json
import struct
import threading

from . import spool as spool_format

MERGE_MAX_POINTS = 100000        # per request; vizd takes up to 1,000,000, smaller keeps commits short
MERGE_MAX_BYTES = 8 << 20        # per request (vizd's default body limit is 64 MiB)
MERGE_MAX_RECORDS = 1000
SINGLE_KEYS = ("hparams", "graph", "description")   # at most one per /api/v1/write document
SPILL_CHUNK_BYTES = 1 << 20


class Batch:
    """Records sent in one request, and where they came from (so ack() knows what to move)."""

    def __init__(self, records, source, end_offset=None, generation=0):
        self.records = records
        self.source = source          # "memory", "own" or a leftover Spool
        self.end_offset = end_offset  # in the spool, just after the last record
        self.generation = generation  # of the own spool's offsets (a rewrite moves them)


class Outbox:
    def __init__(self, directory, run, url, memory_limit_bytes, spool_limit_bytes, on_dropped, on_spool_error):
        self.directory = directory
        self.run = run
        self.url = url
        self.memory_limit_bytes = memory_limit_bytes
        self.spool_limit_bytes = spool_limit_bytes
        self.on_dropped = on_dropped            # (what: dict of counts, first logged, last logged, why)
        self.on_spool_error = on_spool_error    # (OSError)
        self._lock = threading.Lock()
        self._file_lock = threading.RLock()
        self._memory = collections.deque()
        self._memory_bytes = 0
        self._next_seq = 0
        self._acked_below = 0                   # every record with a lower seq was delivered or dropped
        self._spool = None
        self._read_offset = 0                   # in the own spool: where take() reads next
        self._generation = 0                    # bumped when the own spool's offsets change
        self.leftovers = []
        self.is_closed = False

    # ---- the caller's side --------------------------------------------------------------------------

    def put(self, record):
        """Queue a record (from the thread that logged it). Spills memory when it is over its limit."""
        with self._lock:
            record.seq = self._next_seq
            self._next_seq += 1
            self._memory.append(record)
            self._memory_bytes += record.size_bytes
            is_over = self._memory_bytes > self.memory_limit_bytes
        if is_over:
            self.spill()

    @property
    def last_seq(self):
        return self._next_seq - 1

    def adopt_leftovers(self):
        """Take over the spools of this run that no one has open; answer them."""
        adopted = []
        for path in spool_format.list_spools(self.directory, self.run):
            try:
                leftover = spool_format.Spool.open_existing(path)
            except (spool_format.SpoolBusy, ValueError, OSError):
                continue
            adopted.append(leftover)
        with self._file_lock:
            self.leftovers.extend(adopted)
        return adopted

    # ---- moving memory to disk ----------------------------------------------------------------------

    def spill(self, sync=False):
        """Append every record in memory to the spool (fsync'd if sync). Answers whether memory is empty
        now (False: the spool could not be written). Records are encoded and written a few at a time,
        and leave memory as they are written, so a spill never holds two copies of much."""
        with self._file_lock:
            with self._lock:
                records = list(self._memory)
            start = 0
            while start < len(records):
                end, chunk_bytes = start, 0
                while end < len(records) and (end == start or chunk_bytes + records[end].size_bytes <= SPILL_CHUNK_BYTES):
                    chunk_bytes += records[end].size_bytes
                    end += 1
                try:
                    self._append(records[start:end])
                except OSError as exc:
                    self.on_spool_error(exc)
                    self._trim_memory()
                    return False
                with self._lock:
                    for _ in range(end - start):
                        self._memory_bytes -= self._memory.popleft().size_bytes
                start = end
            if sync and self._spool is not None and self._spool.is_open:
                try:
                    self._spool.sync()
                except OSError as exc:
                    self.on_spool_error(exc)
                    return False
            return True

    def _append(self, records):
        encoded = [r.encode() for r in records]
        new_bytes = sum(len(e) for e in encoded)
        if self._spool is None:
            self._spool = spool_format.Spool.create(self.directory, self.run, self.url)
            self._read_offset = self._spool.records_start
            self._generation += 1
        spool = self._spool
        if spool.end_offset - spool.records_start + new_bytes > self.spool_limit_bytes:
            encoded = self._make_room(encoded, new_bytes)
        spool.append(encoded)

    def _make_room(self, encoded, new_bytes):
        """Drop the oldest spooled records (and the oldest new ones, if they alone are too many) so
        that the spool ends up at about half its limit; newest data kept. Answers what to append."""
        spool = self._spool
        target = self.spool_limit_bytes // 2
        dropped = collections.Counter()
        first_time = last_time = None
        cut = spool.end_offset
        for offset, next_offset, header, _ in spool.read_records(self._read_offset, spool.end_offset):
            if spool.end_offset - offset + new_bytes <= target:
                cut = offset
                break
            if header.get("seq", -1) >= self._acked_below:
                dropped.update(header.get("counts", {}))
                first_time = first_time if first_time is not None else header.get("t")
                last_time = header.get("t")
            self._acked_below = max(self._acked_below, header.get("seq", -1) + 1)
        spool.rewrite_from(cut)
        self._read_offset = spool.records_start
        self._generation += 1
        while encoded and new_bytes > target:  # the new records alone are too many: keep the newest
            header, _ = _peek_header(encoded[0])
            dropped.update(header.get("counts", {}))
            first_time = first_time if first_time is not None else header.get("t")
            last_time = header.get("t")
            new_bytes -= len(encoded[0])
            self._acked_below = max(self._acked_below, header.get("seq", -1) + 1)
            encoded = encoded[1:]
        if dropped:
            self.on_dropped(dict(dropped), first_time, last_time,
                            "the spool reached its limit of %d bytes" % self.spool_limit_bytes)
        return encoded

    def _trim_memory(self):
        """The spool cannot be written: keep memory within its limit by dropping the oldest records."""
        dropped = collections.Counter()
        first_time = last_time = None
        with self._lock:
            while self._memory_bytes > self.memory_limit_bytes and len(self._memory) > 1:
                record = self._memory.popleft()
                self._memory_bytes -= record.size_bytes
                self._acked_below = max(self._acked_below, record.seq + 1)
                dropped.update(record.counts)
                first_time = first_time if first_time is not None else record.logged_at
                last_time = record.logged_at
        if dropped:
            self.on_dropped(dict(dropped), first_time, last_time, "the spool cannot be written")

    # ---- the sender's side --------------------------------------------------------------------------

    def take(self):
        """The oldest records not yet delivered, as one Batch (merged where one request can carry them),
        or None when there is nothing to send."""
        with self._file_lock:
            if self.is_closed:
                return None
            while self.leftovers:
                leftover = self.leftovers[0]
                batch = self._read_batch(leftover, leftover.acked_offset, leftover.end_offset, None)
                if batch is not None:
                    return batch
                leftover.remove()  # every record delivered, or unreadable
                self.leftovers.pop(0)
            spool = self._spool
            if spool is not None and spool.is_open:
                batch = self._read_batch(spool, self._read_offset, spool.end_offset, self._acked_below)
                if batch is not None:
                    return batch
                self._retire_spool_if_done()
        with self._lock:
            merge = Merge()
            for record in self._memory:
                if record.seq < self._acked_below:
                    continue
                if not merge.accepts(record):
                    break
                merge.add(record)
                if merge.is_full:
                    break
            return Batch(merge.records, "memory") if merge.records else None

    def _read_batch(self, spool, start, end, acked_below):
        """The next records of `spool` from `start` that can go in one request, skipping the meta record,
        unreadable ones and those below acked_below (delivered while they were also in memory). The
        reading position moves past what was skipped."""
        is_own = spool is self._spool
        merge = Merge()
        records = merge.records
        end_offset = start
        for offset, next_offset, header, body in spool.read_records(start, end):
            is_skipped = header.get("kind") == "meta" or (acked_below is not None and header.get("seq", -1) < acked_below)
            record = None
            if not is_skipped:
                try:
                    record = spool_format.Record.decode(header, body)
                except (KeyError, ValueError, TypeError):
                    record = None  # checksummed but not understood (a newer client's record): skipped
            if record is None:
                if records:
                    break
                end_offset = next_offset
                continue
            if not merge.accepts(record):
                break
            if not records and end_offset != start:
                self._moved_past(spool, end_offset)
            merge.add(record)
            end_offset = next_offset
            if merge.is_full:
                break
        if not records:
            self._moved_past(spool, end)
            return None
        return Batch(records, "own" if is_own else spool, end_offset, self._generation)

    def _moved_past(self, spool, offset):
        """Everything in `spool` before offset is delivered or skipped."""
        if spool is self._spool:
            self._read_offset = max(self._read_offset, offset)
        elif spool.acked_offset < offset:
            spool.set_acked(offset)

    def ack(self, batch):
        """vizd has the batch (or refused parts of it for good): forget it."""
        last_seq = batch.records[-1].seq
        with self._file_lock:
            if self.is_closed:
                return
            if isinstance(batch.source, spool_format.Spool):
                if batch.source.is_open:
                    batch.source.set_acked(batch.end_offset)
                return
            with self._lock:
                self._acked_below = max(self._acked_below, last_seq + 1)
                while self._memory and self._memory[0].seq < self._acked_below:
                    self._memory_bytes -= self._memory.popleft().size_bytes
            spool = self._spool
            if batch.source == "own" and spool is not None and spool.is_open and batch.generation == self._generation:
                self._read_offset = max(self._read_offset, batch.end_offset)
                spool.set_acked(self._read_offset)
                if self._read_offset >= spool.end_offset:
                    self._retire_spool_if_done()

    def _retire_spool_if_done(self):
        """Delete the own spool once every record in it was delivered (under the file lock)."""
        spool = self._spool
        if spool is not None and self._read_offset >= spool.end_offset:
            spool.remove()
            self._spool = None

    # ---- state ----------------------------------------------------------------------------------------

    def is_delivered(self, seq):
        """Every record up to `seq` was delivered (or dropped)."""
        return self._acked_below > seq and not self.leftovers

    @property
    def spool_path(self):
        spool = self._spool
        return spool.path if spool is not None else None

    def close(self):
        """Spill what memory still holds, fsync, and let go of every spool (left for a later writer or
        `python -m vizd_client sync`). Answers the paths of the spools left behind."""
        with self._file_lock:
            self.spill(sync=True)
            if self._spool is not None and self._spool.is_open:
                self._read_batch(self._spool, self._read_offset, self._spool.end_offset, self._acked_below)
            left = []
            for leftover in self.leftovers:
                if leftover.is_open and leftover.acked_offset < leftover.end_offset:
                    left.append(leftover.path)
                leftover.close()
            self.leftovers = []
            if self._spool is not None:
                if self._read_offset >= self._spool.end_offset:
                    self._spool.remove()
                else:
                    left.append(self._spool.path)
                    self._spool.close()
                self._spool = None
            self.is_closed = True
            return left


class Merge:
    """Records gathered for one request: /api/v1/write documents of one run, up to MERGE_MAX_POINTS
    scalar points, MERGE_MAX_BYTES and MERGE_MAX_RECORDS, with at most one of each SINGLE_KEYS; a raw
    upload always travels alone."""

    def __init__(self):
        self.records = []
        self.points = 0
        self.size_bytes = 0
        self.single_keys = set()

    def accepts(self, record):
        if not self.records:
            return True
        first = self.records[0]
        if first.kind != "write" or record.kind != "write" or record.run != first.run:
            return False
        if len(self.records) >= MERGE_MAX_RECORDS:
            return False
        if self.points + record.counts.get("scalars", 0) > MERGE_MAX_POINTS:
            return False
        if self.size_bytes + record.size_bytes > MERGE_MAX_BYTES:
            return False
        return not any(key in record.doc for key in self.single_keys)

    def add(self, record):
        self.records.append(record)
        self.points += record.counts.get("scalars", 0)
        self.size_bytes += record.size_bytes
        if record.kind == "write":
            self.single_keys.update(key for key in SINGLE_KEYS if key in record.doc)

    @property
    def is_full(self):
        """Nothing more can join (a raw upload travels alone)."""
        return bool(self.records) and self.records[0].kind == "raw"


def _peek_header(encoded):
    """(header, body) of an encoded record."""
    payload = encoded[spool_format.RECORD_HEADER.size:]
    (length,) = struct.unpack_from("<I", payload)
    return json.loads(payload[4:4 + length].decode("utf-8")), payload[4 + length:]
