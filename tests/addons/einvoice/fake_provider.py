"""A fake e-invoice authority on 127.0.0.1 and the provider adapter that speaks HTTP to it.

The server deliberately does NOT deduplicate by idempotency key: every POST
becomes a new record, so a client that resends blindly produces duplicates the
test can count. ``timeout_rate`` of the POSTs are stored and then answered too
late for the client's timeout (accepted at the authority, unknown to the client).
"""
from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from addons.einvoice.providers import EInvoiceProvider, OutcomeUnknown, ProviderResult


class FakeAuthority:
    def __init__(self, timeout_rate=0.2, delay=0.3, seed=1):
        self.records: list[dict] = []
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.timeout_rate, self.delay = timeout_rate, delay
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with authority.lock:
                    record = {"key": body["key"], "number": body["number"], "uuid": str(uuid.uuid4())}
                    authority.records.append(record)
                    slow = authority.rng.random() < authority.timeout_rate
                if slow:
                    time.sleep(authority.delay)
                self._reply(201, record)

            def do_GET(self):
                key = parse_qs(urlsplit(self.path).query).get("key", [""])[0]
                with authority.lock:
                    found = [r for r in authority.records if r["key"] == key]
                self._reply(200, {"records": found})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class HttpTestProvider(EInvoiceProvider):
    """An adapter like a real one: JSON over HTTP, timeouts and 5xx reported as OutcomeUnknown."""
    code = "fakehttp"
    url = ""          # set by the test
    timeout = 0.1
    hooks: dict = {}  # name -> callable run before/after the HTTP call (the test's "kill" points)

    def _hook(self, name):
        if name in self.hooks:
            self.hooks[name]()

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise OutcomeUnknown(f"HTTP {exc.code}") from exc
            return {"error": exc.reason}
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            raise OutcomeUnknown(f"{type(exc).__name__}: {exc}") from exc

    def submit(self, document, idempotency_key):
        self._hook("before_submit")
        answer = self._call("POST", "/documents", {"key": idempotency_key, "number": document.display_number})
        self._hook("after_submit")
        return ProviderResult("accepted", authority_code=answer["uuid"], authority_uuid=answer["uuid"])

    def lookup(self, idempotency_key):
        self._hook("before_lookup")
        records = self._call("GET", f"/documents?key={idempotency_key}")["records"]
        if not records:
            return None
        return ProviderResult("accepted", authority_code=records[0]["uuid"], authority_uuid=records[0]["uuid"])
