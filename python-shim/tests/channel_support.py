"""A fake worker end of the supervisor channel for the task runner tests: a unix socket server on a thread that
speaks the frames of docs/shim.md "The supervisor channel" and answers from a dict of handlers. No tests here."""
import json
import os
import socket
import struct
import tempfile
import threading

_HEADER = struct.Struct(">I")


def _read_frame(conn):
    header = _read_exact(conn, _HEADER.size)
    if header is None:
        return None
    body = _read_exact(conn, _HEADER.unpack(header)[0])
    return None if body is None else json.loads(body.decode("utf-8"))


def _read_exact(conn, count):
    chunks = []
    while count:
        chunk = conn.recv(count)
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def _send(conn, message):
    body = json.dumps(message).encode("utf-8")
    conn.sendall(_HEADER.pack(len(body)) + body)


class FakeChannel:
    """``handlers``: kind -> function(payload) -> result. ``requests`` records (kind, payload) in order.

    Use as a context manager; ``env()`` gives the variables a worker sets for the task."""

    def __init__(self, handlers):
        self.handlers = handlers
        self.requests = []
        self.token = "test-token"
        self._folder = tempfile.mkdtemp(prefix="dagbridge-channel-")
        self.path = os.path.join(self._folder, "channel.sock")
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        self._server.listen(4)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.close()
        try:
            os.unlink(self.path)
            os.rmdir(self._folder)
        except OSError:  # already removed with the folder
            pass

    def env(self):
        return {"DAGBRIDGE_CHANNEL_SOCKET": self.path, "DAGBRIDGE_CHANNEL_TOKEN": self.token}

    def _serve(self):
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        with conn:
            hello = _read_frame(conn)
            if hello is None or hello.get("token") != self.token:
                _send(conn, {"v": 1, "id": None, "ok": False, "error": {"code": "unauthorized", "message": "bad token"}})
                return
            _send(conn, {"v": 1, "id": None, "ok": True,
                         "result": {"maxMessageBytes": 1 << 20, "kinds": sorted(self.handlers)}})
            while True:
                message = _read_frame(conn)
                if message is None:
                    return
                kind, payload = message.get("kind"), message.get("payload")
                self.requests.append((kind, payload))
                handler = self.handlers.get(kind)
                if handler is None:
                    _send(conn, {"v": 1, "id": message.get("id"), "ok": False,
                                 "error": {"code": "unknown_kind", "message": "unknown kind %s" % kind}})
                    continue
                _send(conn, {"v": 1, "id": message.get("id"), "ok": True, "result": handler(payload)})


def connection_record(conn_id, **fields):
    """A ``ConnectionRecord`` as the worker answers ``connection.get``."""
    record = {"connId": conn_id, "connType": None, "description": None, "host": None, "schema": None,
              "login": None, "password": None, "port": None, "extra": None}
    record.update(fields)
    return record
