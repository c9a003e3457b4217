"""`python build.py serve`: a local, read-only web app over the built graph.

The serve side reads only what the build wrote into ``output/``. Its parts, one job each:

- ``app``: the routes (Starlette): the SPARQL 1.1 Protocol at ``/sparql``, the saved questions, the
  query editor, a page per entity, the built views and files; one error handler.
- ``guard``: who may ask (Host, Origin), security headers, the access log.
- ``protocol``: HTTP/1.1 framing (uvicorn's httptools protocol) with bounds on header time and
  size and on connections.
- ``negotiate``: content negotiation.
- ``pages`` and ``templates/``: the HTML pages (Jinja).

Queries run in worker processes with no network (essaykg.query.worker), never in the server.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
import sys
import threading
import time
from pathlib import Path

from essaykg import config
from essaykg.query import sparql

DEFAULT_PORT = 8765
DEFAULT_MAX_BODY = sparql.MAX_QUERY_BYTES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default: {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: 127.0.0.1; anything else exposes the server to others)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=config.OUTPUT_DIR,
        metavar="DIR",
        help="folder with the built artifacts (default: output/)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=sparql.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time limit per query, from when a worker takes it (default: {sparql.DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes running queries at the same time (default: 2)"
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=sparql.DEFAULT_MAX_ROWS,
        metavar="N",
        help=f"rows or triples returned at most (default: {sparql.DEFAULT_MAX_ROWS}; "
        f"and about {sparql.DEFAULT_MAX_BYTES // 1024**2} MB)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an origin whose pages may send queries besides this server's own, e.g. "
        "https://kg.example.org when a proxy serves the app there (repeatable)",
    )
    parser.add_argument(
        "--unsandboxed",
        action="store_true",
        help="start even where the query workers cannot be cut off from the network (no "
        "network namespace); then only the SERVICE screen guards against outgoing requests",
    )
    parser.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help=f"largest request body accepted; larger gets 413 (default: {DEFAULT_MAX_BODY})",
    )


class Server:
    """The app on a listening socket, served by uvicorn: in the foreground (:meth:`run`) or on a
    thread of its own (:meth:`start`, :meth:`stop`, for tests)."""

    def __init__(
        self,
        kg,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        quiet: bool = False,
        limits: dict | None = None,
        allowed_origins: tuple[str, ...] = (),
    ):
        import uvicorn

        from .app import create_app
        from .guard import Guard
        from .protocol import BoundedHttpTools

        self.kg = self.app = kg
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError:
            self.socket.close()
            raise
        self.socket.listen(2048)
        self.server_address = self.socket.getsockname()[:2]
        guarded = Guard(create_app(kg), host, quiet=quiet, allowed_origins=allowed_origins)

        async def asgi(scope, receive, send):  # a plain function: uvicorn calls an app with no arguments
            await guarded(scope, receive, send)  # to detect a factory, which an object would not refuse

        # ``limits`` overrides the protocol's bounds (header_timeout, max_header_bytes, max_headers,
        # max_connections), e.g. small ones in tests
        protocol = type("Protocol", (BoundedHttpTools,), dict(limits)) if limits else BoundedHttpTools
        self.config = uvicorn.Config(
            asgi,
            http=protocol,
            loop="uvloop",
            lifespan="off",
            interface="asgi3",
            access_log=False,
            log_level="warning",
            server_header=False,
            timeout_keep_alive=5,
            log_config=None,
        )
        self.server = uvicorn.Server(self.config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def run(self) -> None:
        self.server.run(sockets=[self.socket])

    def start(self) -> threading.Thread:
        """Serve on a background thread; returns once the server accepts connections."""
        self._thread = threading.Thread(target=self.run, daemon=True, name="essaykg-serve")
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._thread

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.socket.close()
        self.kg.close()


def make_server(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    quiet: bool = True,
    *,
    timeout: float = sparql.DEFAULT_TIMEOUT,
    workers: int = 2,
    max_rows: int = sparql.DEFAULT_MAX_ROWS,
    max_body: int = DEFAULT_MAX_BODY,
    limits: dict | None = None,
    allowed_origins: tuple[str, ...] = (),
    **settings,
) -> Server:
    """The app over ``data_dir`` on a socket; ``port=0`` picks a free port."""
    from .app import State

    kg = State(data_dir, timeout=timeout, workers=workers, max_rows=max_rows, max_body=max_body, **settings)
    try:
        return Server(kg, host, port, quiet=quiet, limits=limits, allowed_origins=allowed_origins)
    except OSError:
        kg.close()
        raise


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        server = make_server(
            args.data,
            args.host,
            args.port,
            quiet=False,
            timeout=args.timeout,
            workers=args.workers,
            max_rows=args.max_rows,
            max_body=args.max_body,
            allowed_origins=tuple(args.allow_origin),
            sandboxed=not args.unsandboxed,
        )
    except sparql.DataMissing as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 1
    except sparql.QueryError as err:  # the workers could not be sandboxed
        print(f"error: {err.message}; pass --unsandboxed to start all the same", file=sys.stderr)
        return 3
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr)
        return 3
    try:
        if not ipaddress.ip_address(server.server_address[0]).is_loopback:
            print(f"warning: listening on {args.host}: other machines can reach this server", file=sys.stderr)
    except ValueError:
        pass
    sandbox = server.kg.pool.sandbox
    print(
        f"query workers: {'no network (' + sandbox + ')' if sandbox else 'WITH network access'}"
        + ("" if sandbox else "; only the SERVICE screen stands between a query and the network"),
        file=sys.stderr,
    )
    print(f"Serving the essays' graph on {server.url}/ (SPARQL at {server.url}/sparql); Ctrl-C stops it.", flush=True)
    started = time.monotonic()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.socket.close()
        server.kg.close()
    print(f"stopped after {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0
