"""errors.py -- the exceptions the vizd client raises.

VizdError        vizd refused a request (a 4xx or 5xx JSON error answer). It carries the answer's
                 fields: status, code, path (the offending field, e.g. "scalars[0].tag") and message,
                 plus the run and, for a scalar batch, the tag the field belongs to.
VizdConnectionError
                 vizd could not be reached (refused connection, timeout, reset) after the client's
                 retries. It is also a ConnectionError, so `except ConnectionError` catches it.

VizdWarning      what the writer tells about delivery (vizd unreachable, back, an item refused, data
                 left in the spool). A UserWarning, so warnings filters apply to it.

Both exceptions name the run and the URL, so a message read in a training log says what was lost and where.
"""


class VizdError(Exception):
    """vizd answered a write with an error. `path` names the field it refused ("" when the error is
    not about one field); `unsent` counts the scalar points that were not stored because of it."""

    def __init__(self, message, status=None, code=None, path="", run=None, url=None, tag=None, unsent=0):
        self.status = status
        self.code = code
        self.path = path or ""
        self.run = run
        self.url = url
        self.tag = tag
        self.unsent = unsent
        self.server_message = message
        super().__init__(self._describe())

    def _describe(self):
        parts = []
        if self.status is not None:
            text = "vizd refused the request (%s %s): %s" % (self.status, self.code or "error", self.server_message)
            if self.path and self.path not in self.server_message:
                text += " (field %s)" % self.path
            parts.append(text)
        else:
            parts.append(self.server_message)
        context = []
        if self.run is not None:
            context.append("run %s" % _short(self.run))
        if self.tag is not None:
            context.append("tag %s" % _short(self.tag))
        if self.unsent:
            context.append("%d scalar point(s) not stored" % self.unsent)
        if self.url:
            context.append(self.url)
        if context:
            parts.append("[" + ", ".join(context) + "]")
        return " ".join(parts)


class VizdConnectionError(VizdError, ConnectionError):
    """vizd could not be reached after the client's retries. was_sent: the request left this machine
    and its answer was lost, so vizd may have stored it."""

    def __init__(self, message, was_sent=False, **fields):
        self.was_sent = was_sent
        super().__init__(message, **fields)


def _short(name, limit=60):
    """A name for a message: quoted, and cut to `limit` characters (a refused 300-byte tag should not
    fill the screen)."""
    if len(name) > limit:
        return repr(name[:limit]) + "... (%d bytes)" % len(name.encode("utf-8", "replace"))
    return repr(name)


class VizdWarning(UserWarning):
    """A message about delivery: vizd unreachable or back, an item refused, data left in the spool."""
