"""A webhook receiver on loopback that follows a script of answers and checks signatures itself."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def valid_signatures(secret: str, headers: dict[str, str], body: bytes) -> int:
    """How many of the comma-separated ``v1=`` signatures the secret verifies (computed independently)."""
    signed = headers.get("kesu-timestamp", "").encode() + b"." + body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return sum(hmac.compare_digest(expected, part) for part in headers.get("kesu-signature", "").split(","))


class _Server(ThreadingHTTPServer):
    # The default listen backlog of 5 refuses connections when a whole batch arrives at once.
    request_queue_size = 256


@dataclass
class Request:
    """One POST as received, with the answer it got."""

    at: float
    headers: dict[str, str]
    body: bytes
    answer: str


@dataclass
class ScriptedReceiver:
    """Answers POSTs from ``script`` in order ("500", "timeout", "429:<seconds>", "204"), then ``then``."""

    script: list[str] = field(default_factory=list)
    then: str = "204"
    hang_s: float = 1.0
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """Where to POST."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def successes(self) -> list[Request]:
        """Requests that were answered 2xx."""
        return [r for r in self.requests if r.answer.startswith("2")]

    def _next_answer(self, headers: dict[str, str], body: bytes) -> str:
        with self._lock:
            answer = self.script.pop(0) if self.script else self.then
            self.requests.append(Request(time.monotonic(), headers, body, answer))
            return answer

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = receiver._next_answer({k.lower(): v for k, v in self.headers.items()}, body)
                if answer == "timeout":
                    time.sleep(receiver.hang_s)  # longer than the client's timeout
                    answer = "504"
                status, _, retry_after = answer.partition(":")
                self.send_response(int(status))
                if retry_after:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:  # keep pytest output clean
                pass

        return Handler
