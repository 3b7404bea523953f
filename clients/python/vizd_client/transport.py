"""transport.py -- HTTP to vizd with the standard library: one request, retries, errors as exceptions.

Each request opens its own connection (http.client). On loopback that costs a fraction of a
millisecond, and scalars travel in batches anyway; in return a refused connection always means "nothing
was sent", which is what makes retrying safe to reason about:

  - the connection could not be opened (daemon stopped, restarting): always retried;
  - the request was sent but the answer was lost (reset, timeout) or vizd answered 5xx: retried only if
    the request is idempotent, i.e. every item names its step. vizd replaces a (run, tag, step) written
    twice, but an item without a step gets "the tag's last step + 1" and would be stored twice;
  - vizd answered 4xx: never retried; raised as VizdError naming the field.

After the last attempt a VizdConnectionError is raised. The delays grow: retry_delay_s, x2, x4, ...
"""

import http.client
import json
import time
import urllib.parse

from .errors import VizdConnectionError, VizdError

USER_AGENT = "vizd-python-client"


class Transport:
    def __init__(self, url, token=None, timeout_s=30.0, retries=3, retry_delay_s=0.25):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must look like http://HOST:PORT (got %r); pass other arguments by keyword, "
                             "e.g. SummaryWriter('runs/a', comment='_lr0.1')" % (url,))
        self.url = url.rstrip("/")
        self.is_https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.is_https else 80)
        self.prefix = parts.path.rstrip("/")  # vizd behind a reverse proxy at a sub-path
        self.token = token
        self.timeout_s = timeout_s
        self.retries = retries
        self.retry_delay_s = retry_delay_s

    def post_json(self, doc, idempotent, run=None):
        body = json.dumps(doc, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self.request("POST", "/api/v1/write", body, "application/json", idempotent, run)

    def post_raw(self, path, params, body, idempotent, run=None):
        query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return self.request("POST", path + "?" + query, body, "application/octet-stream", idempotent, run)

    def get_json(self, path, params=None):
        if params:
            path += "?" + urllib.parse.urlencode(params, doseq=True, quote_via=urllib.parse.quote)
        return self.request("GET", path, None, None, True, None)

    def request(self, method, path, body, content_type, idempotent, run):
        """Send one request; answer the parsed JSON of a 2xx answer. Raises VizdError (4xx, or 5xx after
        the retries) or VizdConnectionError."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        last_problem = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.retry_delay_s * (2 ** (attempt - 1)))
            try:
                status, data = self._send_once(method, self.prefix + path, body, headers)
            except _NotSent as exc:
                last_problem = exc.cause
                continue
            except (OSError, http.client.HTTPException) as exc:
                last_problem = exc
                if idempotent:
                    continue
                raise VizdConnectionError(
                    "the connection to vizd failed after the request was sent (%s: %s); not retried, since "
                    "items without a step could be stored twice" % (type(exc).__name__, exc),
                    was_sent=True, run=run, url=self.url) from exc
            if 200 <= status < 300:
                return _parse(data)
            error = _error_of(status, data, run, self.url)
            if status >= 500 and idempotent:
                last_problem = error
                continue
            raise error
        if isinstance(last_problem, VizdError):
            raise last_problem
        raise VizdConnectionError("cannot reach vizd at %s after %d attempt(s): %s: %s"
                                  % (self.url, self.retries + 1, type(last_problem).__name__, last_problem),
                                  run=run) from last_problem

    def _send_once(self, method, path, body, headers):
        cls = http.client.HTTPSConnection if self.is_https else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=self.timeout_s)
        try:
            try:
                conn.connect()
            except OSError as exc:  # refused, unreachable, DNS: nothing left this machine
                raise _NotSent(exc)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


class _NotSent(Exception):
    def __init__(self, cause):
        super().__init__(str(cause))
        self.cause = cause


def _parse(data):
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return data


def _error_of(status, data, run, url):
    """A VizdError from vizd's {"error": {"status", "code", "message", "path"}} (or whatever else a proxy
    in between answered)."""
    try:
        err = json.loads(data.decode("utf-8"))["error"]
        return VizdError(err.get("message", ""), status=status, code=err.get("code"), path=err.get("path", ""),
                         run=run, url=url)
    except (ValueError, KeyError, TypeError, AttributeError):
        text = data[:200].decode("utf-8", "replace").strip()
        return VizdError(text or "no body", status=status, code="http_%d" % status, run=run, url=url)

