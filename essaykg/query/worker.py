"""Query workers: processes with no network that parse, run and serialise queries under a time limit.

A worker (``python -m essaykg.query.worker DATA_DIR MEMORY``) first moves itself into a new, empty network
namespace (:func:`isolate_network`), so nothing it runs can open a connection, not even to
127.0.0.1; then it loads the built data and answers requests on stdin. Everything a query costs
happens here, inside the limit: the screen (:func:`essaykg.query.sparql.screen`), Oxigraph's parse, the
evaluation on a thread with a large stack (deep expressions do not overflow it), and the
serialisation into the asked format, capped in rows and bytes. A query that passes its limit is
cancelled by killing its worker (pyoxigraph has no timeout: oxigraph/oxigraph#1926).

Messages are length-prefixed: a JSON header, then raw bytes (the query text, or the answer's body).
Nothing is unpickled on either side, so a worker that a hostile query took over still cannot run
code in the server.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import json
import os
import queue
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from essaykg import config
from essaykg.query import sparql

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
STACK_BYTES = 512 * 1024**2  # the evaluation thread's stack: a 64 KB chain of 32,000 operators fits
DEFAULT_WAIT = 30.0  # seconds a query may wait for a free worker, apart from its own limit


@dataclass
class Answer:
    """A query's answer, serialised by the worker: ``body`` in ``fmt`` (a name from sparql.*_FORMATS)."""

    form: str
    fmt: str
    body: bytes
    truncated: bool
    count: int
    seconds: float

    @property
    def media_type(self) -> str:
        return sparql.media_type(self.fmt)

    def result(self) -> sparql.Result:
        """The answer read back as a Result (for HTML pages): needs fmt json or ntriples."""
        if self.fmt == "ntriples":
            triples = [
                (sparql.term_from_ox(t.subject), sparql.term_from_ox(t.predicate), sparql.term_from_ox(t.object))
                for t in ox.parse(self.body, format=ox.RdfFormat.N_TRIPLES)
            ]
            return sparql.Result(form=self.form, triples=triples, truncated=self.truncated, seconds=self.seconds)
        result = sparql.parse_results(self.body, self.fmt)
        result.truncated, result.seconds = self.truncated, self.seconds
        return result


# ---------------------------------------------------------------- the sandbox


def isolate_network() -> str | None:
    """Move this process into a new network namespace with no interface up; say how, or None.

    As root an unshare(CLONE_NEWNET) is enough; otherwise a user namespace comes with it. The
    result is checked: a connection to 127.0.0.1 must fail with 'network is unreachable'.
    Must run before the process starts a thread (the kernel refuses a user namespace after).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return None
    how = None
    for flags, name in (
        (CLONE_NEWNET, "network namespace"),
        (CLONE_NEWUSER | CLONE_NEWNET, "user and network namespace"),
    ):
        if libc.unshare(flags) == 0:
            how = name
            break
    if how is None:
        return None
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.settimeout(1)
        probe.connect(("127.0.0.1", 9))
    except OSError as err:
        return how if err.errno == errno.ENETUNREACH else None
    finally:
        probe.close()
    return None  # pragma: no cover - a connection went through: not isolated


# ---------------------------------------------------------------- framing


def write_message(stream, header: dict, body: bytes = b"") -> None:
    head = json.dumps(header).encode("utf-8")
    stream.write(struct.pack(">II", len(head), len(body)) + head + body)
    stream.flush()


def _read_exact(stream, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the worker's pipe closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(stream) -> tuple[dict, bytes]:
    head_size, body_size = struct.unpack(">II", _read_exact(stream, 8))
    header = json.loads(_read_exact(stream, head_size))
    if not isinstance(header, dict):
        raise ValueError("a message header must be a JSON object")
    return header, _read_exact(stream, body_size)


# ---------------------------------------------------------------- the worker process


def answer(backends: dict, data_dir: Path, request: dict, text: str, graphs: set[str]) -> tuple[dict, bytes]:
    """One request: screen, run, serialise. Returns the reply's header and body."""
    started = time.perf_counter()
    engine = request.get("engine", "oxigraph")
    try:
        screened = sparql.screen(text)
        if engine not in backends:
            if engine != "rdflib":
                raise sparql.QueryError(f"unknown engine {engine!r}; choose one of {', '.join(sparql.ENGINES)}")
            backends[engine] = sparql.load_rdflib(data_dir)
        result = sparql.execute(
            backends[engine],
            screened,
            engine,
            request["max_rows"],
            request.get("default_graphs"),
            request.get("named_graphs"),
            max_bytes=request["max_bytes"],
            graphs=graphs,
        )
        fmt = request["formats"].get("graph" if result.is_graph else "results")
        if not fmt:
            raise sparql.NotAcceptable(result.form)
        body = sparql.serialize(result, fmt)
    except MemoryError:
        return {
            "ok": False,
            "error": "QueryError",
            "status": 400,
            "message": "the query needed more memory than a query may use",
        }, b""
    except sparql.QueryError as err:
        return {"ok": False, "error": type(err).__name__, "status": err.status, "message": err.message}, b""
    except Exception as err:  # the engine's own evaluation errors
        message = str(getattr(err, "msg", None) or err)
        return {"ok": False, "error": "QueryError", "status": 400, "message": f"{engine}: {message}"}, b""
    return {
        "ok": True,
        "form": result.form,
        "format": fmt,
        "truncated": result.truncated,
        "count": len(result),
        "seconds": time.perf_counter() - started,
    }, body


def worker_main(argv: list[str]) -> int:
    """The worker process: isolate, load, then answer requests on stdin until it closes."""
    sandbox = isolate_network()  # first, while the process has one thread
    data_dir, memory = Path(argv[0]), int(argv[1])
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the replies
    inp = os.fdopen(os.dup(0), "rb", buffering=0)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash ends at once, with no core to write
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on every platform
        pass
    try:
        backends: dict[str, object] = {"oxigraph": sparql.load_store(data_dir)}
    except Exception as err:
        write_message(out, {"ready": False, "error": type(err).__name__, "message": str(err)})
        return 1
    graphs = sparql.graph_names(backends["oxigraph"])  # type: ignore[arg-type]
    # rdflib's parser reads a query that names graphs (FROM): load it now, not inside a query's limit
    sparql.dataset_clauses("ASK FROM <urn:x> {}")
    write_message(out, {"ready": True, "sandbox": sandbox, "pid": os.getpid()})

    def serve() -> None:
        while True:
            try:
                request, body = read_message(inp)
            except (EOFError, ValueError, KeyboardInterrupt):
                break
            if request.get("stop"):
                break
            header, reply = answer(backends, data_dir, request, body.decode("utf-8", "surrogatepass"), graphs)
            write_message(out, header, reply)
        # Oxigraph's results may not be freed on another thread; rdflib's parser leaves cycles that
        # hold them, which the main thread would collect at exit.
        gc.collect()

    # Oxigraph parses and evaluates recursively: on the main thread's 8 MB stack, 9,000 chained
    # "+" overflow it and the process dies. On this thread a 64 KB query cannot.
    threading.stack_size(STACK_BYTES)
    thread = threading.Thread(target=serve, name="queries")
    thread.start()
    thread.join()
    return 0


# ---------------------------------------------------------------- the pool, in the caller's process


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, data_dir: Path, memory: int):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(config.ROOT), env.get("PYTHONPATH")]))
        self.sandbox: str | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "essaykg.query.worker", str(data_dir), str(memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            env=env,
            close_fds=True,
        )
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None  # both are pipes
        self.stdin, self.stdout = stdin, stdout

    def send(self, header: dict, body: bytes = b"") -> None:
        write_message(self.stdin, header, body)

    def poll(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.stdout], [], [], max(0.0, timeout))
        return bool(ready)

    def recv(self) -> tuple[dict, bytes]:
        return read_message(self.stdout)

    def wait_ready(self, timeout: float = 60.0) -> None:
        try:
            if not self.poll(timeout):
                raise EOFError("no answer")
            header, _ = self.recv()
        except (EOFError, OSError, ValueError) as err:
            self.kill()
            raise sparql.QueryError(f"a query worker did not start ({err})") from None
        if not header.get("ready"):
            self.kill()
            raise (sparql.DataMissing if header.get("error") == "DataMissing" else sparql.QueryError)(
                header.get("message", "a query worker did not start")
            )
        self.sandbox = header.get("sandbox")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass


class QueryPool:
    """Worker processes, each holding the dataset, that answer queries under a time limit.

    A query waits at most ``wait`` seconds for a free worker (then 503), and its own limit starts
    when a worker takes it. A query that passes its limit is cancelled by killing its worker, which
    is replaced in the background; queries in the other workers go on. ``cancelled`` records how
    long each cancelled query lived, in seconds. ``sandbox`` says how the workers are cut off from
    the network (None: they are not, and only the screen stands between a query and SERVICE).
    """

    def __init__(
        self,
        data_dir: Path,
        workers: int = 2,
        timeout: float = sparql.DEFAULT_TIMEOUT,
        max_rows: int = sparql.DEFAULT_MAX_ROWS,
        max_bytes: int = sparql.DEFAULT_MAX_BYTES,
        memory: int = sparql.WORKER_MEMORY,
        wait: float = DEFAULT_WAIT,
        require_sandbox: bool = False,
    ):
        sparql.data_files(data_dir)  # fail early, in the caller's process, if the data is not built
        self.data_dir, self.timeout, self.memory, self.wait = Path(data_dir), timeout, memory, wait
        self.max_rows, self.max_bytes = max_rows, max_bytes
        self.size = max(1, workers)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.cancelled: list[float] = []
        started = [self._new_worker() for _ in range(self.size)]
        try:
            for worker in started:
                worker.wait_ready()
                self._idle.put(worker)
        except sparql.QueryError:
            self.close()
            raise
        self.sandbox = started[0].sandbox if all(w.sandbox for w in started) else None
        if require_sandbox and not self.sandbox:
            self.close()
            raise sparql.QueryError(
                "the query workers could not be cut off from the network (no network "
                "namespace: unshare(2) refused); only the SERVICE screen would stand "
                "between a query and the network"
            )

    def _new_worker(self) -> _Worker:
        worker = _Worker(self.data_dir, self.memory)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        if self._closed:
            return

        def start():
            try:
                fresh = self._new_worker()
                fresh.wait_ready()
                if self.sandbox and fresh.sandbox != self.sandbox:  # never a weaker worker than at start
                    fresh.kill()
                    with self._lock:
                        self._all.discard(fresh)
                    return
                self._idle.put(fresh)
            except sparql.QueryError:  # pragma: no cover - the data vanished under a running server
                pass

        threading.Thread(target=start, daemon=True).start()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self._replace(worker)

    def run(
        self,
        text: str,
        *,
        results_format: str | None = "json",
        graph_format: str | None = "turtle",
        engine: str = "oxigraph",
        timeout: float | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        max_rows: int | None = None,
        max_bytes: int | None = None,
    ) -> Answer:
        """Answer ``text`` within ``timeout`` seconds (after a worker is free), serialised in the
        format for its form (None: NotAcceptable), cut at the pool's row and byte caps or at smaller
        ones given here. Raises a QueryError with the HTTP status."""
        limit = self.timeout if timeout is None else timeout
        try:
            worker = self._idle.get(timeout=self.wait)
        except queue.Empty:
            raise sparql.QueryBusy(f"every query worker stayed busy for {self.wait:g} s; try again") from None
        started = time.monotonic()
        try:
            worker.send(
                {
                    "engine": engine,
                    "default_graphs": default_graphs,
                    "named_graphs": named_graphs,
                    "formats": {"results": results_format, "graph": graph_format},
                    "max_rows": min(self.max_rows, max_rows or self.max_rows),
                    "max_bytes": min(self.max_bytes, max_bytes or self.max_bytes),
                },
                text.encode("utf-8", "surrogatepass"),
            )
            reply = worker.recv() if worker.poll(limit) else None
        except (EOFError, OSError, ValueError):
            self._discard(worker)
            raise sparql.QueryAborted(
                "the query's worker stopped before answering (it crashed, or ran out of "
                "memory); it has been replaced: try again"
            ) from None
        if reply is None:
            self._discard(worker)
            lived = time.monotonic() - started
            self.cancelled.append(lived)
            raise sparql.QueryTimeout(f"the query was cancelled: it ran past the time limit of {limit:g} s", lived)
        self._idle.put(worker)
        header, body = reply
        if header.get("ok"):
            return Answer(
                form=header["form"],
                fmt=header["format"],
                body=body,
                truncated=header["truncated"],
                count=header["count"],
                seconds=header["seconds"],
            )
        # The worker's error, as its own class (QueryRefused, NotAcceptable...) with the message the
        # worker already wrote: the subclasses' __init__ would write it again, so it is not called.
        error = getattr(sparql, str(header.get("error")), None)
        if not (isinstance(error, type) and issubclass(error, sparql.QueryError)):
            error = sparql.QueryError
        raised = error.__new__(error)
        sparql.QueryError.__init__(raised, str(header.get("message", "the query failed")))
        raised.status = int(header.get("status", 400))
        raise raised

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            try:
                worker.send({"stop": True})
            except OSError:
                pass
        for worker in workers:
            try:
                worker.process.wait(1)
            except subprocess.TimeoutExpired:
                pass
            worker.kill()

    def __enter__(self) -> QueryPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
