"""sync.py -- `python -m vizd_client sync`: deliver the spools writers left behind.

    python -m vizd_client sync [--url URL] [--token-file FILE] [SPOOL_DIR]

A job that ran where vizd could not be reached, or that was killed before its writer could deliver
everything, leaves spool files in SPOOL_DIR (default ~/.cache/vizd/spool). sync sends each of them, oldest
first, to URL (default: the URL the writer used, recorded in the spool), in the order they were logged,
many records per request, and deletes each spool once vizd has acknowledged all of it. A spool that a
running writer still has open is skipped (that writer delivers it itself). The spool's acked offset is
moved after every request, so a sync that is interrupted resumes where it stopped.

A progress line is kept up to date on stderr; at the end one line says what was sent. Exit status: 0 when
every spool was delivered (items vizd refused are reported and count as delivered: sending them again
would be refused again), 1 when vizd could not be reached (the spools stay), 2 for a usage error.
"""

import argparse
import collections
import os
import sys
import time

from . import courier
from . import outbox as outbox_module
from . import spool as spool_format
from .errors import VizdError
from .transport import Transport

DEFAULT_URL = "http://127.0.0.1:6006"
PROGRESS_EVERY_S = 0.2


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vizd_client sync",
                                     description="Send the spools vizd_client writers left behind to vizd.")
    parser.add_argument("spool_dir", nargs="?", default=None, metavar="SPOOL_DIR",
                        help="where the spools are (default: %s)" % spool_format.default_dir())
    parser.add_argument("--url", default=None,
                        help="where vizd listens (default: the URL each spool's writer used, else %s)" % DEFAULT_URL)
    parser.add_argument("--token-file", default=None,
                        help="a file whose first line is vizd's token (default: $VIZD_TOKEN)")
    args = parser.parse_args(argv)
    directory = args.spool_dir or spool_format.default_dir()
    token = os.environ.get("VIZD_TOKEN")
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as f:
            token = f.readline().strip()
    return sync(directory, args.url, token, sys.stderr)


def sync(directory, url, token, out):
    paths = spool_format.list_spools(directory)
    if not paths:
        out.write("sync: no spools in %s\n" % directory)
        return 0
    progress = Progress(out, paths)
    started = time.monotonic()
    skipped, failed = [], None
    for number, path in enumerate(paths, 1):
        try:
            spool = spool_format.Spool.open_existing(path)
        except spool_format.SpoolBusy:
            skipped.append("%s (in use by a running writer)" % path)
            continue
        except (ValueError, OSError) as exc:
            skipped.append("%s (%s)" % (path, exc))
            continue
        target = url or spool.meta.get("url") or DEFAULT_URL
        transport = Transport(target, token=token)
        progress.start_spool(number, spool, target)
        try:
            replay(spool, transport, progress)
        except VizdError as exc:
            failed = (target, exc)
            spool.close()
            break
        if spool.torn_bytes:
            progress.note("%s: skipped %d unreadable bytes (a record torn when its writer died, or damaged)"
                          % (path, spool.torn_bytes))
        spool.remove()
        progress.spools_done += 1
    progress.finish()
    elapsed = time.monotonic() - started
    sent = courier._counts_text(progress.sent) or "nothing"
    out.write("sync: sent %s from %d spool(s) in %.1f s%s\n"
              % (sent, progress.spools_done, elapsed,
                 "; %d item(s) refused by vizd (listed above)" % progress.refused if progress.refused else ""))
    for line in skipped:
        out.write("sync: skipped %s\n" % line)
    if failed is not None:
        target, exc = failed
        out.write("sync: vizd at %s cannot be reached (%s); the rest stays in %s, run sync again later\n"
                  % (target, courier._reason(exc), directory))
        return 1
    return 0


def replay(spool, transport, progress):
    """Send every record of `spool` from its acked offset, many per request, moving the acked offset
    after each. Raises VizdError (the spool keeps the rest) when vizd cannot take them now."""
    merge, batch_end = outbox_module.Merge(), spool.acked_offset
    for _, next_offset, header, body in spool.read_records(spool.acked_offset, spool.end_offset):
        if header.get("kind") == "meta":
            continue
        try:
            record = spool_format.Record.decode(header, body)
        except (KeyError, ValueError, TypeError):
            continue
        if merge.is_full or not merge.accepts(record):
            _send(spool, transport, merge.records, batch_end, progress)
            merge = outbox_module.Merge()
        merge.add(record)
        batch_end = next_offset
    if merge.records:
        _send(spool, transport, merge.records, batch_end, progress)
    spool.set_acked(spool.end_offset)


def _send(spool, transport, records, end_offset, progress):
    refusals = courier.send_records(transport, records)
    spool.set_acked(end_offset)
    for error in refusals:
        progress.note("refused by vizd, dropped: %s" % error)
    progress.sent_records(records, end_offset, len(refusals))


class Progress:
    """One line on stderr, rewritten in place (when stderr is a terminal; else printed now and then)."""

    def __init__(self, out, paths):
        self.out = out
        self.total_spools = len(paths)
        self.total_bytes = sum(_size(p) for p in paths)
        self.done_bytes = 0
        self.sent = collections.Counter()
        self.refused = 0
        self.spools_done = 0
        self._spool_offset = 0
        self._last_shown = 0.0
        self._is_tty = hasattr(out, "isatty") and out.isatty()
        self._line_open = False

    def start_spool(self, number, spool, url):
        self.number = number
        self.run = spool.meta.get("run", "?")
        self.url = url
        self._spool_offset = spool.acked_offset
        self.done_bytes += spool.acked_offset
        self.show(force=True)

    def sent_records(self, records, end_offset, refused):
        for record in records:
            self.sent.update(record.counts)
        self.refused += refused
        self.done_bytes += end_offset - self._spool_offset
        self._spool_offset = end_offset
        self.show()

    def note(self, text):
        self._end_line()
        self.out.write("sync: %s\n" % text)

    def show(self, force=False):
        now = time.monotonic()
        if not force and now - self._last_shown < (PROGRESS_EVERY_S if self._is_tty else 5.0):
            return
        self._last_shown = now
        percent = 100.0 * self.done_bytes / self.total_bytes if self.total_bytes else 100.0
        line = "sync: spool %d/%d (run %r) -> %s: %3.0f%% of %s, sent %s" % (
            self.number, self.total_spools, self.run, self.url, percent, courier._bytes_text(self.total_bytes),
            courier._counts_text(self.sent) or "nothing yet")
        if self._is_tty:
            self.out.write("\r\x1b[K" + line)
            self._line_open = True
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def finish(self):
        self._end_line()

    def _end_line(self):
        if self._line_open:
            self.out.write("\n")
            self._line_open = False


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
