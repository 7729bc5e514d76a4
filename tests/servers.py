"""Real servers on loopback for delivery tests: SMTP (aiosmtpd) and HTTP.

Context managers, so each test module declares its own fixtures over them.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server accepted: envelope recipients and parsed messages."""

    host: str
    port: int
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@contextmanager
def running_smtp(port: int | None = None) -> Iterator[Mailbox]:
    """An aiosmtpd server on 127.0.0.1 (a free port unless given)."""
    port = port or free_port()
    mailbox = Mailbox("127.0.0.1", port)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """An HTTP server recording every POST; answers ``statuses`` in turn, then 200."""

    url: str
    requests: list[Request] = field(default_factory=list)
    # 0 means: keep the connection open without answering until the test ends.
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = receiver.answer()
            with receiver.lock:
                receiver.requests.append(
                    Request(self.path, dict(self.headers.items()), body, status)
                )
            if status == 0:
                receiver.release.wait(60)
                return
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"try later")

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    receiver = Receiver(f"http://{host}:{port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
