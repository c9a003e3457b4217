"""Who may ask: the Host and Origin checks, security headers and the access log, as ASGI middleware.

- Host: exactly one, well formed; on a loopback address only ``localhost``, ``127.0.0.1`` or
  ``[::1]`` (with any port) are answered, a guard against DNS rebinding (403).
- Origin: a request that runs a query (``/sparql``, a saved question) or that is not GET/HEAD must
  come from this app's own origin or from no browser page at all. A cross-site form POST or fetch
  carries ``Origin`` (and ``Sec-Fetch-Site``) and gets 403, so a page the user visits cannot make
  the server work for it.
- Every response says ``nosniff`` and ``no-referrer``; HTML gets a Content-Security-Policy.
- The access log writes control characters escaped (``\\x1b``), so a request cannot forge log lines
  or drive a terminal.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "[::1]"}
HOST = re.compile(r"^(?P<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?$")
COSTLY_PATHS = ("/sparql", "/queries/")
MAX_TARGET = 48 * 1024  # a longer request target gets 414: POST a long query
# The app's own pages: scripts and styles from the app only; YASGUI sets inline styles.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# The built views carry their own CSP (a <meta> that allows their inline scripts by hash).
VIEW_CSP = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")

log = logging.getLogger("essaykg.serve")


class Refusal(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def header_values(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in headers if key == name]


def check_host(values: list[str], loopback_only: bool) -> str:
    """The one Host header's name; Refusal if missing, repeated, malformed or (on loopback) foreign."""
    if len(values) != 1:
        raise Refusal(400, "a request needs exactly one Host header")
    match = HOST.match(values[0])
    if not match or (match.group("port") and int(match.group("port")) > 65535):
        raise Refusal(400, f"malformed Host header: {escape_controls(values[0])!r}")
    name = match.group("name").lower()
    if loopback_only and name not in LOOPBACK_NAMES:
        raise Refusal(403, "this server answers only to 127.0.0.1 and localhost")
    return values[0].lower()


def check_origin(origins: list[str], fetch_site: list[str], host: str, allowed: frozenset[str] = frozenset()) -> None:
    """Refusal (403) unless the request comes from this app's own pages (``http://`` + its Host, or an
    origin in ``allowed``: the public address of a proxy in front) or from no page at all."""
    mine = {f"http://{host}"} | allowed
    if any(origin.lower() not in mine for origin in origins):
        raise Refusal(403, f"a query may not be sent from another origin ({escape_controls(', '.join(origins))})")
    if not origins and any(site not in {"same-origin", "none"} for site in fetch_site):
        raise Refusal(403, "a query may not be sent from another site's page")


def escape_controls(text: str) -> str:
    """Control characters (and backslashes) as ``\\xNN`` escapes, for logs and messages."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class Guard:
    """ASGI middleware: Host and Origin checks, security headers, the access log."""

    def __init__(self, app, bound_host: str, quiet: bool = False, allowed_origins: tuple[str, ...] = ()):
        self.app, self.loopback_only, self.quiet = app, is_loopback(bound_host), quiet
        self.allowed_origins = frozenset(o.lower().rstrip("/") for o in allowed_origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = [0]
        headers = scope["headers"]
        path = scope["path"]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                ctype = next((v for k, v in message.get("headers", []) if k == b"content-type"), b"")
                if ctype.startswith(b"text/html"):
                    csp = VIEW_CSP if path.endswith(".html") and path != "/ontology.html" else PAGE_CSP
                    extra.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        try:
            if len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) > MAX_TARGET:
                raise Refusal(414, f"the request target is longer than {MAX_TARGET} bytes: POST a long query")
            host = check_host(header_values(headers, b"host"), self.loopback_only)
            if scope["method"] not in {"GET", "HEAD"} or path.startswith(COSTLY_PATHS):
                check_origin(
                    header_values(headers, b"origin"),
                    header_values(headers, b"sec-fetch-site"),
                    host,
                    self.allowed_origins,
                )
        except Refusal as refusal:
            body = (refusal.message + "\n").encode("utf-8")
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": refusal.status,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body if scope["method"] != "HEAD" else b""})
        else:
            await self.app(scope, receive, send_with_headers)
        if not self.quiet:
            client = scope.get("client") or ("-", 0)
            target = scope.get("raw_path", b"").decode("latin-1")
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            log.info(
                "%s %s %s %d %.1f ms",
                client[0],
                scope["method"],
                escape_controls(target[:2000]),
                status[0],
                (time.perf_counter() - started) * 1000,
            )
