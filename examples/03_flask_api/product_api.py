"""A Flask product API whose responses are cached in Magpie.

GET /api/products/<id>               one product with its sales figures
GET /api/categories/<name>/products  a category's best sellers (aggregate)
PUT /api/products/<id>               change price_cents and/or stock

GET responses are cached as the JSON body under `<prefix>:product:<id>` and
`<prefix>:category:<name>` for `ttl` seconds; the X-Cache header says HIT or
MISS. A PUT writes the database first, then deletes the product's entry and
its category's listing (the only responses that contain the changed row), so
the next GET rebuilds them. With r=None the same app runs without a cache,
which is the baseline measure.py compares against.

A request borrows a database connection from the app's pool of idle ones
(opening one only when all are busy) and returns it when it ends.
`serve(app)` runs the app on a real HTTP/1.1 server (werkzeug, threaded,
keep-alive) on a free port in a background thread.
"""

import http.client
import json
import queue
import socket
import threading
import time

from flask import Flask, Response, abort, g, request
from werkzeug.serving import WSGIRequestHandler, make_server

from common import shopdata
from common.database import free_port


def create_app(db, r=None, ttl=300, prefix="api"):
    app = Flask(__name__)
    idle = queue.LifoQueue()  # database connections not in use by a request
    app.config["db_connections"] = []

    def conn():
        if "conn" not in g:
            try:
                g.conn = idle.get_nowait()
            except queue.Empty:
                g.conn = db.connect()
                app.config["db_connections"].append(g.conn)
        return g.conn

    @app.teardown_request
    def give_back(_exc):
        c = g.pop("conn", None)
        if c is not None:
            idle.put(c)

    def cached_json(key, build):
        if r is not None:
            body = r.get(key)
            if body is not None:
                return Response(body, mimetype="application/json", headers={"X-Cache": "HIT"})
        value = build()
        if value is None:
            abort(404)
        body = json.dumps(value)
        if r is not None:
            r.setex(key, ttl, body)
        return Response(body, mimetype="application/json",
                        headers={"X-Cache": "MISS" if r is not None else "OFF"})

    @app.get("/api/products/<int:pid>")
    def product(pid):
        return cached_json("%s:product:%d" % (prefix, pid),
                           lambda: shopdata.product_detail(conn(), pid))

    @app.get("/api/categories/<name>/products")
    def category(name):
        if name not in shopdata.CATEGORIES:
            abort(404)
        return cached_json("%s:category:%s" % (prefix, name),
                           lambda: shopdata.category_listing(conn(), name))

    @app.put("/api/products/<int:pid>")
    def update(pid):
        body = request.get_json(force=True)
        fields = {k: int(body[k]) for k in ("price_cents", "stock") if k in body}
        if not fields:
            abort(400)
        c = conn()
        with c.transaction():
            row = c.one("SELECT category FROM products WHERE id = %s", (pid,))
            if row is None:
                abort(404)
            sets = ", ".join("%s = %%s" % k for k in sorted(fields))
            c.execute("UPDATE products SET %s WHERE id = %%s" % sets,
                      [fields[k] for k in sorted(fields)] + [pid])
        if r is not None:
            r.delete("%s:product:%d" % (prefix, pid), "%s:category:%s" % (prefix, row[0]))
        return {"id": pid, "updated": sorted(fields)}

    return app


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real client and server

    def setup(self):
        super().setup()
        # Headers and body leave in separate writes: without NODELAY, Nagle
        # holds the body until the client's delayed ACK of the headers.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, *args, **kwargs):
        pass


class ServerThread:
    def __init__(self, app):
        self.port = free_port()
        self.app = app
        self.httpd = make_server("127.0.0.1", self.port, app, threaded=True,
                                 request_handler=_Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)
        for c in self.app.config["db_connections"]:
            c.close()


def serve(app):
    return ServerThread(app)


class Client:
    """A keep-alive HTTP client: call() -> (status, X-Cache, JSON body or None, ms)."""

    def __init__(self, port):
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        t = time.perf_counter()
        self.http.request(method, path, body=None if body is None else json.dumps(body),
                          headers=headers)
        resp = self.http.getresponse()
        data = resp.read()
        ms = (time.perf_counter() - t) * 1000
        parsed = json.loads(data) if resp.status == 200 else None
        return resp.status, resp.getheader("X-Cache"), parsed, ms
