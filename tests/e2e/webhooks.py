"""A channel system's webhook endpoint on loopback that checks Kesu's signature as a receiver would."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Delivery:
    """One webhook POST as received."""

    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    @property
    def payload(self) -> dict:
        """The JSON body."""
        return json.loads(self.body)


def verify_signature(secret: bytes, timestamp: str, body: bytes, header: str) -> bool:
    """Recompute ``v1=HMAC-SHA256(secret, "<timestamp>.<body>")`` independently of Kesu's code."""
    expected = "v1=" + hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


class WebhookReceiver:
    """An HTTP server in a thread that records every delivery and answers 204."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        """Where Kesu should POST."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/kesu/ack"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def for_complaint(self, complaint_id: str) -> list[Delivery]:
        """Deliveries whose CloudEvents subject is the complaint."""
        with self._lock:
            return [d for d in self.deliveries if d.payload.get("subject") == complaint_id]

    def _record(self, headers: dict[str, str], body: bytes) -> None:
        valid = verify_signature(self.secret, headers.get("kesu-timestamp", ""), body,
                                 headers.get("kesu-signature", ""))
        with self._lock:
            self.deliveries.append(Delivery(headers, body, valid))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver._record({k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args) -> None:  # keep pytest output clean
                pass

        return Handler
