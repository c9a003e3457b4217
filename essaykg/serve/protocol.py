"""HTTP/1.1 framing: uvicorn's httptools protocol (llhttp), with the bounds uvicorn lacks.

llhttp frames requests strictly (it refuses duplicate or malformed Content-Length, Transfer-Encoding
with Content-Length, bare LF, obs-fold, control bytes in header values: 400 and the connection
closed), and uvicorn reads or discards every body, so a body is never parsed as a next request.
What uvicorn leaves open is bounded here:

- the time to send a request's line and headers (``header_timeout``: then 408 and close), from the
  connection's start or from the first byte of a later request on a kept-alive connection;
- the size of the request line and headers together, and their number (then 431 and close);
- the connections open at once (``max_connections``: one more gets 503 and is closed). uvicorn's
  ``limit_concurrency`` counts requests, so idle connections would make it refuse every request;
- the time a client may leave an answer unread (``write_timeout``: then the connection is aborted
  and its buffered answer freed), so clients that never read cannot hold memory and slots.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT = 10.0  # seconds
MAX_HEADER_BYTES = 32 * 1024  # request line and headers together
MAX_HEADERS = 100
MAX_CONNECTIONS = 256
WRITE_TIMEOUT = 30.0  # seconds an answer may wait for the client to read it


def _response(status: str, message: str) -> bytes:
    body = (message + "\n").encode("ascii")
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode("ascii") + body


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header timeout, header bounds and a connection bound."""

    header_timeout = HEADER_TIMEOUT
    max_header_bytes = MAX_HEADER_BYTES
    max_headers = MAX_HEADERS
    max_connections = MAX_CONNECTIONS
    write_timeout = WRITE_TIMEOUT

    _timer: asyncio.TimerHandle | None = None
    _write_timer: asyncio.TimerHandle | None = None
    _refused = False
    _header_bytes = 0
    _header_count = 0

    def _refuse(self, status: str, message: str) -> None:
        """Answer ``status`` and close; nothing more is parsed or written on this connection."""
        self._cancel_timer()
        if not self._refused and not self.transport.is_closing():
            self._refused = True
            self.logger.warning("refused a connection from %s: %s", self.client, message)
            self.transport.write(_response(status, message))
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        if not self._refused:  # after our own refusal the parser's error is not answered again
            self._refused = True
            super().send_400_response(msg)

    def _arm_timer(self) -> None:
        if self._timer is None:
            self._timer = self.loop.call_later(
                self.header_timeout,
                self._refuse,
                "408 Request Timeout",
                f"the request's headers took longer than {self.header_timeout:g} s",
            )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in {socket.AF_INET, socket.AF_INET6}:
            # headers and body leave in two writes: without this the second waits for a delayed ACK
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if len(self.connections) > self.max_connections:
            self._refuse("503 Service Unavailable", f"more than {self.max_connections} connections are open")
            return
        self._arm_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        self._cancel_write_timer()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self.write_timeout, self._abort_unread)

    def resume_writing(self) -> None:
        self._cancel_write_timer()
        super().resume_writing()

    def _cancel_write_timer(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _abort_unread(self) -> None:
        self._write_timer = None
        self.logger.warning(
            "aborted a connection from %s: its answer went unread for %g s", self.client, self.write_timeout
        )
        self.transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = self._header_count = 0
        self._arm_timer()

    def _count(self, size: int, header: bool) -> None:
        self._header_bytes += size
        self._header_count += header
        if self._header_bytes > self.max_header_bytes or self._header_count > self.max_headers:
            self._refuse(
                "431 Request Header Fields Too Large",
                f"the request line and headers may take {self.max_header_bytes} bytes and "
                f"{self.max_headers} headers at most",
            )
            raise ValueError("headers too large")  # stops llhttp; the refusal is already sent

    def on_url(self, url: bytes) -> None:
        self._count(len(url), False)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4, True)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._cancel_timer()
        super().on_headers_complete()
