"""A small keep-alive HTTP client on the standard library (requests is not a declared dependency)."""

import http.client
import json
import time

from .config import KEEPALIVE_REUSE_SECONDS

# --- A small HTTP client (standard library only: requests is not a declared dependency) ---------


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class Http:
    """One keep-alive connection and a cookie jar, for one client thread."""

    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout
        self.conn = None
        self.last_used = 0.0
        self.cookies = {}

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _connection(self):
        if self.conn is not None and time.monotonic() - self.last_used > KEEPALIVE_REUSE_SECONDS:
            self.close()
        fresh = self.conn is None
        if fresh:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn, fresh

    def request(self, method, path, body=None, headers=None) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (0, 1):
            conn, fresh = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                # A reused connection the server closed before answering: nothing was processed,
                # so one retry on a fresh connection is safe. Anything else is an error.
                if fresh or attempt:
                    raise
                continue
            except Exception:
                self.close()
                raise
            self.last_used = time.monotonic()
            if response.will_close:
                self.close()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                pair = cookie.split(";", 1)[0]
                name, _, value = pair.partition("=")
                if "max-age=0" in cookie.lower() or not value.strip('"'):
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value
            return Response(response.status, response.headers, data)
        raise AssertionError("unreachable")
