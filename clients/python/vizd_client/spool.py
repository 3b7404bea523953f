"""spool.py -- the on-disk spool: what a writer could not deliver yet, one append-only file per writer.

A spool file lives in the spool folder (default ~/.cache/vizd/spool/) and is named after its run:

    <run, filesystem-safe>.<12 hex digits of the run's SHA-1>.<UTC time>.<pid>.<random>.vzspool

so a new writer of the same run finds the files an earlier one left behind without opening the others.
Layout (integers little-endian):

    file header  "VIZDSPL1" | acked offset u64 | crc32 of those 8 bytes u32 | 0 u32      (24 bytes)
    record       "VZr1" | payload length u32 | crc32 of the payload u32 | payload
    payload      header length u32 | header (JSON) | body

The first record is the spool's description ({"kind": "meta", "run", "url", "pid", "host", "created"}).
Every other record is one request to vizd: {"kind": "write", "seq", "run", "t", "counts"} with the
/api/v1/write JSON document as body, or {"kind": "raw", "seq", "run", "path", "params", "t", "counts"}
with a raw upload (histogram or tensor values) as body. "counts" says what the record holds
({"scalars": 1000}), so a dropped record can be described; "t" is when it was logged.

Records are only ever appended; the one field rewritten in place is the acked offset in the file header:
everything before it was acknowledged by vizd, so a replay that was interrupted resumes there. It is
guarded by its own checksum (a torn rewrite reads as 0: the replay starts from the beginning, which is
safe because replaying a record that carries its steps changes nothing). A record whose checksum does not
match, or that ends past the end of the file (the process died while appending it), is skipped, never
replayed: the reader looks for the next record marker after it, so one bad record costs only itself.

The file is locked (flock) while a writer or `sync` has it open, so neither replays a spool that another
process is still appending to. Where fcntl is missing (Windows) files are not locked.
"""

import hashlib
import json
import os
import random
import socket
import struct
import time
import zlib

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Unix
    fcntl = None

FILE_MAGIC = b"VIZDSPL1"
FILE_HEADER = struct.Struct("<8sQII")
RECORD_MAGIC = b"VZr1"
RECORD_HEADER = struct.Struct("<4sII")
SUFFIX = ".vzspool"
READ_CHUNK_BYTES = 1 << 20


def default_dir():
    """~/.cache/vizd/spool, or $XDG_CACHE_HOME/vizd/spool."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "vizd", "spool")


def run_key(run):
    """The part of a spool's file name that names its run."""
    return hashlib.sha1(run.encode("utf-8")).hexdigest()[:12]


def _safe(run):
    text = "".join(c if c.isalnum() or c in "-_" else "_" for c in run)[:40]
    return text or "run"


def list_spools(directory, run=None):
    """Spool files in `directory` (of `run` only, when given), oldest first."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    key = "." + run_key(run) + "." if run is not None else None
    found = []
    for name in names:
        if not name.endswith(SUFFIX) or (key is not None and key not in name):
            continue
        parts = name.split(".")
        stamp = parts[-5] if len(parts) >= 6 else ""
        found.append((stamp, name))
    return [os.path.join(directory, name) for _, name in sorted(found)]


class SpoolBusy(Exception):
    """Another process (or another writer of this one) has the spool open."""


class Record:
    """One request to vizd: a /api/v1/write document (kind "write") or a raw upload (kind "raw").

    seq orders a writer's records; size_bytes is what it costs in memory (an estimate for documents,
    which are encoded only when they are sent or spooled); counts says what it holds."""

    __slots__ = ("seq", "kind", "run", "doc", "path", "params", "body", "counts", "logged_at", "size_bytes")

    def __init__(self, kind, run, doc=None, path=None, params=None, body=None, counts=None, size_bytes=0,
                 logged_at=None, seq=-1):
        self.seq = seq
        self.kind = kind
        self.run = run
        self.doc = doc
        self.path = path
        self.params = params
        self.body = body
        self.counts = counts or {}
        self.logged_at = logged_at if logged_at is not None else time.time()
        self.size_bytes = size_bytes or (len(body) if body is not None else 256)

    @property
    def is_idempotent(self):
        if self.kind == "raw":
            return "step" in self.params
        return doc_is_idempotent(self.doc)

    def encode(self):
        header = {"kind": self.kind, "seq": self.seq, "run": self.run, "t": self.logged_at, "counts": self.counts}
        if self.kind == "raw":
            header["path"] = self.path
            header["params"] = self.params
            body = self.body
        else:
            body = json.dumps(self.doc, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return frame(json.dumps(header, separators=(",", ":")).encode("utf-8"), body)

    @classmethod
    def decode(cls, header, body):
        if header["kind"] == "raw":
            return cls("raw", header["run"], path=header["path"], params=header["params"], body=body,
                       counts=header.get("counts"), logged_at=header.get("t"), seq=header.get("seq", -1))
        return cls("write", header["run"], doc=json.loads(body.decode("utf-8")), counts=header.get("counts"),
                   size_bytes=len(body), logged_at=header.get("t"), seq=header.get("seq", -1))


def doc_is_idempotent(doc):
    """Sending the /api/v1/write document twice stores it once: every item names its step (vizd replaces a
    step written again); an item without one would get "the tag's last step + 1" a second time."""
    for value in doc.values():
        if isinstance(value, list):
            for item in value:
                if "step" not in item and "steps" not in item:
                    return False
    return True


def frame(header_bytes, body):
    """One record's bytes (the body is copied once, into them)."""
    prefix = struct.pack("<I", len(header_bytes)) + header_bytes
    crc = zlib.crc32(body, zlib.crc32(prefix))
    return b"".join((RECORD_HEADER.pack(RECORD_MAGIC, len(prefix) + len(body), crc), prefix, body))


def _file_header(acked_offset):
    packed = struct.pack("<Q", acked_offset)
    return FILE_HEADER.pack(FILE_MAGIC, acked_offset, zlib.crc32(packed), 0)


class Spool:
    """One spool file, open and locked. Appends (append, sync) and reads (read_records) are the caller's
    to serialise; the writer's outbox holds its file lock around them."""

    def __init__(self, path, file, meta, end_offset, records_start, acked_offset):
        self.path = path
        self._file = file
        self.meta = meta
        self.end_offset = end_offset          # where the next record goes
        self.records_start = records_start    # the first record after the meta record
        self.acked_offset = acked_offset      # everything before it was delivered
        self.torn_bytes = 0                   # bytes skipped as unreadable by read_records

    @classmethod
    def create(cls, directory, run, url):
        os.makedirs(directory, mode=0o700, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = "%s.%s.%s.%d.%04x%s" % (_safe(run), run_key(run), stamp, os.getpid(), random.getrandbits(16), SUFFIX)
        path = os.path.join(directory, name)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        file = os.fdopen(fd, "r+b", buffering=0)
        _lock(file, path)
        meta = {"kind": "meta", "run": run, "url": url, "pid": os.getpid(), "host": socket.gethostname(),
                "created": time.time()}
        first = _file_header(0) + frame(json.dumps(meta, separators=(",", ":")).encode("utf-8"), b"")
        file.write(first)
        spool = cls(path, file, meta, len(first), len(first), len(first))
        spool.set_acked(len(first))
        return spool

    @classmethod
    def open_existing(cls, path):
        """Open and lock a spool another writer left behind. Raises SpoolBusy if someone has it open,
        ValueError if it is not a spool."""
        file = open(path, "r+b", buffering=0)
        try:
            _lock(file, path)
            if os.fstat(file.fileno()).st_ino != os.stat(path).st_ino:
                raise SpoolBusy("%s was rewritten while it was being opened" % path)
            head = file.read(FILE_HEADER.size)
            if len(head) < FILE_HEADER.size:
                raise ValueError("%s: too short to be a spool" % path)
            magic, acked, crc, _ = FILE_HEADER.unpack(head)
            if magic != FILE_MAGIC:
                raise ValueError("%s: not a vizd spool" % path)
            end = os.fstat(file.fileno()).st_size
            spool = cls(path, file, {}, end, FILE_HEADER.size, FILE_HEADER.size)
            for offset, next_offset, header, _ in spool.read_records(FILE_HEADER.size, end):
                if header.get("kind") == "meta":
                    spool.meta = header
                    spool.records_start = next_offset
                break
            is_valid = zlib.crc32(struct.pack("<Q", acked)) == crc and spool.records_start <= acked <= end
            spool.acked_offset = acked if is_valid else spool.records_start
            return spool
        except BaseException:
            file.close()
            raise

    @property
    def is_open(self):
        return self._file is not None

    def append(self, encoded_records):
        """Append encoded records in one write. On failure (disk full) the file is cut back to where it
        was, so no half record stays behind, and the OSError is raised."""
        try:
            self._file.seek(self.end_offset)
            for data in encoded_records:
                written = 0
                view = memoryview(data)
                while written < len(data):
                    written += self._file.write(view[written:])
        except OSError:
            try:
                self._file.truncate(self.end_offset)
            except OSError:
                pass
            raise
        self.end_offset += sum(len(data) for data in encoded_records)

    def sync(self):
        os.fsync(self._file.fileno())

    def set_acked(self, offset):
        self.acked_offset = offset
        self._file.seek(0)
        self._file.write(_file_header(offset))

    def read_records(self, start, end):
        """(offset, next offset, header, body) of every readable record in [start, end), in order. A
        record that does not check out is skipped (counted in torn_bytes), the reader resuming at the
        next record marker."""
        reader = open(self.path, "rb")
        try:
            buffer = b""
            buffer_offset = start   # file offset of buffer[0]
            reader.seek(start)
            while True:
                if buffer_offset >= end:
                    return
                need = RECORD_HEADER.size
                if len(buffer) < need:
                    buffer += reader.read(max(READ_CHUNK_BYTES, need))
                if len(buffer) < need:
                    self.torn_bytes += min(len(buffer), end - buffer_offset)
                    return
                magic, length, crc = RECORD_HEADER.unpack_from(buffer)
                total = RECORD_HEADER.size + length
                is_plausible = magic == RECORD_MAGIC and buffer_offset + total <= end and length >= 4
                if is_plausible and len(buffer) < total:
                    buffer += reader.read(max(READ_CHUNK_BYTES, total - len(buffer)))
                    is_plausible = len(buffer) >= total
                record = None
                if is_plausible:
                    payload = buffer[RECORD_HEADER.size:total]
                    if zlib.crc32(payload) == crc:
                        record = _split_payload(payload)
                if record is None:
                    skip = _next_marker(reader, buffer, buffer_offset, end)
                    self.torn_bytes += skip
                    buffer = b""
                    buffer_offset += skip
                    reader.seek(buffer_offset)
                    continue
                yield buffer_offset, buffer_offset + total, record[0], record[1]
                buffer = buffer[total:]
                buffer_offset += total
        finally:
            reader.close()

    def close(self):
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the lock
            self._file = None

    def remove(self):
        """Delete the file (everything in it was delivered) and close it."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self.close()

    def rewrite_from(self, offset):
        """Keep only the records from `offset` on (plus the meta record): copies them to a new file that
        replaces this one. Answers by how much every later offset moved back."""
        temporary = self.path + ".tmp"
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        new_file = os.fdopen(fd, "r+b", buffering=0)
        try:
            _lock(new_file, temporary)
            head = _file_header(self.records_start)
            self._file.seek(FILE_HEADER.size)
            meta = self._file.read(self.records_start - FILE_HEADER.size)
            new_file.write(head + meta)
            self._file.seek(offset)
            remaining = self.end_offset - offset
            while remaining > 0:
                chunk = self._file.read(min(READ_CHUNK_BYTES, remaining))
                if not chunk:
                    break
                new_file.write(chunk)
                remaining -= len(chunk)
            os.fsync(new_file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            new_file.close()
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
        self._file.close()
        self._file = new_file
        moved = offset - self.records_start
        self.end_offset -= moved
        self.acked_offset = self.records_start
        return moved


def _split_payload(payload):
    (header_length,) = struct.unpack_from("<I", payload)
    if 4 + header_length > len(payload):
        return None
    try:
        header = json.loads(payload[4:4 + header_length].decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(header, dict):
        return None
    return header, payload[4 + header_length:]


def _next_marker(reader, buffer, buffer_offset, end):
    """How many bytes from buffer_offset to the next record marker after it (or to `end`)."""
    position = buffer.find(RECORD_MAGIC, 1)
    if position >= 0:
        return position
    offset = buffer_offset + max(len(buffer) - len(RECORD_MAGIC) + 1, 1)
    reader.seek(offset)
    while offset < end:
        chunk = reader.read(READ_CHUNK_BYTES)
        if not chunk:
            break
        position = chunk.find(RECORD_MAGIC)
        if position >= 0:
            return offset + position - buffer_offset
        offset += max(len(chunk) - len(RECORD_MAGIC) + 1, 1)
        reader.seek(offset)
    return end - buffer_offset


def _lock(file, path):
    if fcntl is None:
        return
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        raise SpoolBusy("%s is in use by another writer" % path) from exc
