"""essaykg.serve.protocol without a socket: the bounds uvicorn lacks, fed bytes through a stand-in transport.

tests/serve/test_security.py sends the same over real connections; these run in milliseconds.
"""
from __future__ import annotations

import asyncio

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from essaykg.serve import protocol


class Transport(asyncio.Transport):
    def __init__(self):
        super().__init__()
        self.written, self.closed, self.aborted = b"", False, False

    def write(self, data):
        self.written += bytes(data)

    def close(self):
        self.closed = True

    def abort(self):
        self.aborted = self.closed = True

    def is_closing(self):
        return self.closed

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 8765) if name in {"peername", "sockname"} else default

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def set_write_buffer_limits(self, high=None, low=None):
        pass


SEEN: list = []


async def app(scope, receive, send):
    SEEN.append(scope["headers"])
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def connect(loop, state=None, **limits):
    config = Config(app, lifespan="off", interface="asgi3", log_config=None)
    config.load()
    cls = type("Bounded", (protocol.BoundedHttpTools,), limits)
    proto = cls(config=config, server_state=state or ServerState(), app_state={}, _loop=loop)
    transport = Transport()
    proto.connection_made(transport)
    return proto, transport


def settle(loop, seconds=0.0):
    loop.run_until_complete(asyncio.sleep(seconds))


def test_a_plain_request_is_answered_and_its_header_timer_stopped(loop):
    SEEN.clear()
    proto, transport = connect(loop, header_timeout=0.05)
    proto.data_received(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\r\n")
    settle(loop, 0.15)  # past the header timeout: nothing may fire once the headers are in
    assert transport.written.startswith(b"HTTP/1.1 200") and not transport.closed
    assert proto._timer is None
    assert SEEN == [[(b"host", b"x"), (b"x-a", b"b")]]  # the app gets the headers as they came


def test_headers_that_never_end_get_408(loop):
    proto, transport = connect(loop, header_timeout=0.05)
    proto.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n")
    settle(loop, 0.15)
    assert transport.written.startswith(b"HTTP/1.1 408 Request Timeout\r\n") and transport.closed
    assert b"longer than 0.05 s" in transport.written
    proto.data_received(b"\r\n")  # whatever comes after is not answered
    assert transport.written.count(b"HTTP/1.1") == 1


def test_a_silent_connection_gets_408(loop):
    proto, transport = connect(loop, header_timeout=0.05)
    settle(loop, 0.15)
    assert transport.written.startswith(b"HTTP/1.1 408")


def test_the_timer_starts_again_for_the_next_request_on_the_connection(loop):
    proto, transport = connect(loop, header_timeout=0.1)
    proto.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    settle(loop, 0.02)
    proto.data_received(b"GET / HTTP/1.1\r\nHo")
    settle(loop, 0.25)
    assert transport.written.count(b"HTTP/1.1 200") == 1 and b"HTTP/1.1 408" in transport.written


@pytest.mark.parametrize("request_bytes", [
    b"GET /" + b"a" * 300 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(6)) + b"\r\n",
])
def test_too_much_header_gets_431_once(loop, request_bytes):
    proto, transport = connect(loop, max_header_bytes=256, max_headers=5)
    proto.data_received(request_bytes)
    assert transport.written.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert transport.written.count(b"HTTP/1.1") == 1 and transport.closed
    assert b"256 bytes and 5 headers" in transport.written


def test_header_bytes_add_up_across_headers(loop):
    proto, transport = connect(loop, max_header_bytes=256, max_headers=50)
    headers = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 40) for i in range(6))  # each small, together over 256
    proto.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert transport.written.startswith(b"HTTP/1.1 431")
    assert b"\r\nconnection: close\r\n\r\n" in transport.written


@pytest.mark.parametrize("extra, status", [(0, b"200"), (1, b"431")])
def test_the_header_byte_limit_itself_passes(loop, extra, status):
    # the target "/" counts 1; each header its name and value and 4 (": " and CRLF)
    value = b"v" * (256 - 1 - (4 + 1 + 4) - (3 + 4) + extra)
    proto, transport = connect(loop, max_header_bytes=256, max_headers=50)
    proto.data_received(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + value + b"\r\n\r\n")
    settle(loop)
    assert transport.written.startswith(b"HTTP/1.1 " + status)


def test_headers_just_within_the_bounds_pass(loop):
    proto, transport = connect(loop, max_header_bytes=256, max_headers=5)
    headers = b"".join(b"X-%d: 1\r\n" % i for i in range(4))  # 4 + Host = 5 headers
    proto.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    settle(loop)
    assert transport.written.startswith(b"HTTP/1.1 200")


def test_one_connection_over_the_bound_gets_503(loop):
    state = ServerState()
    first = [connect(loop, state, max_connections=2) for _ in range(2)]
    assert all(not t.written for _, t in first)
    _, transport = connect(loop, state, max_connections=2)
    assert transport.written.startswith(b"HTTP/1.1 503 Service Unavailable\r\n") and transport.closed
    assert b"more than 2 connections" in transport.written


def test_an_answer_left_unread_aborts_the_connection(loop):
    proto, transport = connect(loop, write_timeout=0.05)
    proto.pause_writing()
    settle(loop, 0.15)
    assert transport.aborted


def test_an_answer_read_in_time_keeps_the_connection(loop):
    proto, transport = connect(loop, write_timeout=0.1)
    proto.pause_writing()
    settle(loop, 0.02)
    proto.resume_writing()
    settle(loop, 0.2)
    assert not transport.aborted and proto._write_timer is None


def test_a_malformed_request_still_gets_uvicorns_400_once(loop):
    proto, transport = connect(loop)
    proto.data_received(b"GET / HTTP/1.1\r\nContent-Length: +5\r\nHost: x\r\n\r\n")
    assert transport.written.startswith(b"HTTP/1.1 400") and transport.closed
    proto.send_400_response("again")
    proto.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert transport.written.count(b"HTTP/1.1") == 1


def test_closing_cancels_every_timer(loop):
    proto, transport = connect(loop, header_timeout=0.05, write_timeout=0.05)
    proto.pause_writing()
    proto.connection_lost(None)
    settle(loop, 0.15)
    assert not transport.written and not transport.aborted
