"""`python build.py publish --endpoint URL`: put every built graph on a triple store.

Uses the SPARQL 1.1 Graph Store HTTP Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/):
one ``PUT URL?graph=<name>`` per named graph, body in N-Triples, which replaces that graph on the
server and leaves every other graph alone. Then each graph is read back (``GET``) and compared
with the built one. ``URL`` is the store's Graph Store endpoint. Tested against two stores, each
started by the tests: the Oxigraph server (``http://host:7878/store``, no authentication) and
Virtuoso open source 7 (``http://host:8890/sparql-graph-crud-auth``, HTTP Digest).

Authentication (``--user``, the password in ``$ESSAYKG_PUBLISH_PASSWORD``): by default the first
request goes without credentials and a ``401`` is answered once with the scheme the store's
challenge names, HTTP Digest (RFC 7616: MD5 or SHA-256, ``qop=auth``) before Basic (RFC 7617), so
a password is never sent in Basic form to a store that asked for Digest. ``--auth digest`` answers
only Digest challenges; ``--auth basic`` sends Basic credentials with every request, unasked.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import secrets
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import pyoxigraph as ox

from essaykg import config
from essaykg.query import sparql
from essaykg.store import serialized

PASSWORD_ENV = "ESSAYKG_PUBLISH_PASSWORD"
AUTH_MODES = ("auto", "digest", "basic")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="the store's Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=config.OUTPUT_DIR,
        metavar="DIR",
        help="folder with the built essay-kg.nq and ontology.ttl (default: output/)",
    )
    parser.add_argument("--user", help=f"user name for the store; the password is read from ${PASSWORD_ENV}")
    parser.add_argument(
        "--auth",
        choices=AUTH_MODES,
        default="auto",
        help="auto (default): answer the store's 401 challenge with the scheme it asks for, "
        "Digest before Basic; digest: HTTP Digest only; basic: send HTTP Basic unasked",
    )
    parser.add_argument("--no-verify", action="store_true", help="do not read the graphs back to compare")
    parser.add_argument("--dry-run", action="store_true", help="list the graphs and their sizes; send nothing")
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="time limit per HTTP request (default: 60)"
    )


class PublishError(Exception):
    """The store refused a request or could not be reached; ``exit_code`` follows cli.py."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def graphs_of(data_dir: Path) -> dict[str, list[ox.Triple]]:
    """Graph name -> its triples, for every named graph of the build (the ontology included)."""
    store = sparql.load_store(data_dir)
    out: dict[str, list[ox.Triple]] = {}
    for name in sorted(store.named_graphs(), key=lambda g: g.value):
        if isinstance(name, ox.NamedNode):
            out[name.value] = [q.triple for q in store.quads_for_pattern(None, None, None, name)]
    return out


def graph_url(endpoint: str, graph: str) -> str:
    return f"{endpoint}{'&' if '?' in endpoint else '?'}graph={quote(graph, safe='')}"


# ---------------------------------------------------------------- HTTP authentication

# RFC 7616 section 3.5: the hash functions of the "algorithm" parameter supported here.
DIGEST_ALGORITHMS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
# One challenge's scheme (a name with no "=") or one of its parameters (name=token or name="quoted").
_ITEM = re.compile(r'[\s,]*([^\s,="]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?')


def parse_challenges(headers: list[str]) -> list[tuple[str, dict[str, str]]]:
    """``WWW-Authenticate`` values -> [(scheme in lower case, {param: value})], in the server's order.

    One header may hold several challenges separated by commas (RFC 9110 section 11.6.1)."""
    out: list[tuple[str, dict[str, str]]] = []
    for header in headers:
        pos = 0
        while item := _ITEM.match(header, pos):
            pos = item.end()
            name, value = item.group(1), item.group(2)
            if value is None:
                out.append((name.lower(), {}))
            elif out:
                if value.startswith('"'):
                    value = re.sub(r"\\(.)", r"\1", value[1:-1])
                out[-1][1].setdefault(name.lower(), value)
    return out


class Digest:
    """HTTP Digest credentials for one challenge (RFC 7616), ``qop=auth`` or the RFC 2069 form.

    Later requests reuse the nonce with a counted ``nc`` (RFC 7616 section 3.4); a store that no longer
    takes it answers 401 with a new challenge, which the client answers once more."""

    def __init__(self, user: str, password: str, challenge: dict[str, str]):
        self.user, self.password = user, password
        self.realm = challenge.get("realm", "")
        self.nonce = challenge["nonce"]
        self.opaque = challenge.get("opaque")
        self.algorithm = challenge.get("algorithm", "MD5")
        self.hash = DIGEST_ALGORITHMS[self.algorithm.upper()]
        qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
        if qops and "auth" not in qops:
            raise ValueError(f"qop={','.join(qops)} (only qop=auth is supported)")
        self.qop = "auth" if qops else None
        self.count = 0

    def h(self, text: str) -> str:
        return self.hash(text.encode()).hexdigest()

    def response(self, method: str, uri: str, cnonce: str, nc: str) -> str:
        ha1 = self.h(f"{self.user}:{self.realm}:{self.password}")
        ha2 = self.h(f"{method}:{uri}")
        if self.qop:
            return self.h(f"{ha1}:{self.nonce}:{nc}:{cnonce}:{self.qop}:{ha2}")
        return self.h(f"{ha1}:{self.nonce}:{ha2}")

    def header(self, method: str, uri: str, cnonce: str | None = None) -> str:
        self.count += 1
        nc, cnonce = f"{self.count:08x}", cnonce or secrets.token_hex(16)
        fields = [
            ("username", self.user, True),
            ("realm", self.realm, True),
            ("nonce", self.nonce, True),
            ("uri", uri, True),
            ("algorithm", self.algorithm, False),
            ("response", self.response(method, uri, cnonce, nc), True),
        ]
        if self.qop:
            fields += [("qop", self.qop, False), ("nc", nc, False), ("cnonce", cnonce, True)]
        if self.opaque is not None:
            fields.append(("opaque", self.opaque, True))
        return "Digest " + ", ".join(f'{k}="{_quote(v)}"' if quoted else f"{k}={v}" for k, v, quoted in fields)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def describe(challenges: list[tuple[str, dict[str, str]]]) -> str:
    return (
        ", ".join(
            f"{scheme.capitalize()}"
            + (f' realm "{p["realm"]}"' if "realm" in p else "")
            + (f" {p['algorithm']}" if "algorithm" in p else "")
            for scheme, p in challenges
        )
        or "none"
    )


# ---------------------------------------------------------------- the Graph Store Protocol client


class Client:
    """A minimal Graph Store Protocol client over urllib, with HTTP Digest and Basic authentication."""

    def __init__(
        self,
        endpoint: str,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 60.0,
        auth: str = "auto",
    ):
        if not endpoint.startswith(("http://", "https://")):
            raise PublishError(f"--endpoint must be an http(s) URL, not {endpoint!r}", 2)
        if auth not in AUTH_MODES:
            raise PublishError(f"--auth must be one of {', '.join(AUTH_MODES)}, not {auth!r}", 2)
        self.endpoint, self.timeout = endpoint.rstrip("/") if endpoint.endswith("//") else endpoint, timeout
        self.user, self.password, self.auth = user, password or "", auth
        self.digest: Digest | None = None
        self.basic = bool(user) and auth == "basic"  # Basic is sent unasked only when told

    def authorization(self, method: str, url: str) -> str | None:
        if self.digest is not None:
            target = urlsplit(url)
            return self.digest.header(method, target.path + (f"?{target.query}" if target.query else ""))
        if self.basic:
            assert self.user  # basic is only ever set with a user (here and in answer())
            return basic_header(self.user, self.password)
        return None

    def answer(self, where: str, challenges: list[tuple[str, dict[str, str]]]) -> None:
        """Take the credentials that answer a 401's challenges, or raise PublishError saying why none can."""
        if not self.user:
            raise PublishError(
                f"{where}; it asks for authentication ({describe(challenges)}): "
                f"give --user and the password in ${PASSWORD_ENV}"
            )
        unsupported = []
        if self.auth in ("auto", "digest"):
            for scheme, params in challenges:
                if scheme != "digest":
                    continue
                algorithm = params.get("algorithm", "MD5")
                if algorithm.upper() not in DIGEST_ALGORITHMS or "nonce" not in params:
                    unsupported.append(f"Digest {algorithm} is not supported")
                    continue
                try:
                    self.digest = Digest(self.user, self.password, params)
                    return
                except ValueError as err:
                    unsupported.append(f"Digest {err}")
        if self.auth == "auto" and not unsupported and any(scheme == "basic" for scheme, _ in challenges):
            self.basic = True
            return
        detail = f" ({'; '.join(unsupported)})" if unsupported else ""
        hint = " (--auth basic would send Basic credentials)" if self.auth == "digest" else ""
        raise PublishError(
            f"{where}; it asks for {describe(challenges)}{detail}, which --auth {self.auth} does not answer{hint}"
        )

    def request(self, method: str, graph: str, body: bytes | None = None, accept: str | None = None) -> bytes:
        import urllib.error
        import urllib.request

        url = graph_url(self.endpoint, graph)
        fresh = False  # whether the credentials answer a challenge to this very request
        while True:
            headers = {}
            if body is not None:
                headers["Content-Type"] = "application/n-triples"
            if accept:
                headers["Accept"] = accept
            authorization = self.authorization(method, url)
            if authorization:
                headers["Authorization"] = authorization
            req = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as err:
                where = f"the store at {self.endpoint}: {method} <{graph}> answered {err.code} {err.reason}"
                detail = err.read()[:300].decode("utf-8", "replace").strip()
                if err.code != 401:
                    raise PublishError(where + (f": {detail}" if detail else "")) from None
                challenges = parse_challenges(err.headers.get_all("WWW-Authenticate") or [])
                if authorization and (fresh or self.digest is None):
                    scheme = "Digest" if self.digest is not None else "Basic"
                    raise PublishError(
                        f"{where}: it refused user {self.user!r} with {scheme} authentication "
                        f"(check the user and ${PASSWORD_ENV}; it asks for "
                        f"{describe(challenges)})"
                    ) from None
                self.answer(where, challenges)  # no credentials yet, or a Digest nonce it no longer takes
                fresh = True
            except (urllib.error.URLError, OSError) as err:
                reason = getattr(err, "reason", err)
                raise PublishError(f"cannot reach {self.endpoint}: {reason}", 3) from None

    def put(self, graph: str, triples: list[ox.Triple]) -> None:
        self.request("PUT", graph, serialized(triples, ox.RdfFormat.N_TRIPLES))

    def get(self, graph: str) -> set[ox.Triple]:
        data = self.request("GET", graph, accept="application/n-triples")
        return {q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}


def publish(
    data_dir: Path,
    endpoint: str,
    user: str | None = None,
    password: str | None = None,
    verify: bool = True,
    timeout: float = 60.0,
    out=None,
    auth: str = "auto",
) -> dict[str, int]:
    """PUT every graph, then (if ``verify``) GET each back and compare. Returns graph -> triples."""
    out = out or sys.stdout
    graphs = graphs_of(data_dir)
    client = Client(endpoint, user, password, timeout, auth)
    for name, triples in graphs.items():
        client.put(name, triples)
        print(f"PUT {len(triples):5d} triples  <{name}>", file=out)
    if verify:
        for name, triples in graphs.items():
            back = client.get(name)
            if any(isinstance(t, ox.BlankNode) for tr in triples for t in (tr.subject, tr.object)):
                same = len(back) == len(set(triples))  # blank node labels may change on the way
            else:
                same = back == set(triples)
            if not same:
                raise PublishError(f"<{name}> came back with {len(back)} triples, not the {len(set(triples))} sent")
        print(
            f"verified: every graph reads back as sent ({len(graphs)} graphs, "
            f"{sum(len(t) for t in graphs.values())} triples)",
            file=out,
        )
    return {name: len(triples) for name, triples in graphs.items()}


def run(args: argparse.Namespace) -> int:
    try:
        if args.dry_run:
            graphs = graphs_of(args.data)
            for name, triples in graphs.items():
                print(f"{len(triples):5d} triples  <{name}>  -> PUT {graph_url(args.endpoint, name)}")
            print(f"({len(graphs)} graphs; nothing sent)")
            return 0
        publish(
            args.data,
            args.endpoint,
            args.user,
            os.environ.get(PASSWORD_ENV),
            not args.no_verify,
            args.timeout,
            auth=args.auth,
        )
    except sparql.DataMissing as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 1
    except PublishError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0
