"""A fake of the worker's end of the supervisor channel for the task runner tests: a unix socket served by a
thread, speaking the channel's frames (docs/shim.md "The supervisor channel"), answering each request with a
function of the test or a dict of handlers by kind. No tests here."""
import json
import os
import shutil
import socket
import struct
import tempfile
import threading

from tests.test_run_support import base_env, run_task

_HEADER = struct.Struct(">I")
TOKEN = "fake-channel-token"


class Refusal(Exception):
    """Raised by an answer function: the request is refused with ``code``."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _read(conn, count):
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _frame(message):
    body = json.dumps(message).encode("utf-8")
    return _HEADER.pack(len(body)) + body


class FakeChannel:
    """``answer``: ``answer(kind, payload) -> result`` (or raises Refusal), or a dict of kind -> ``handler(payload)``
    (a kind it lacks is refused with ``unknown_kind``, as the worker refuses one it does not serve).
    ``requests`` lists every (kind, payload) in order. Use as a context manager; ``env()`` is what a worker puts
    in the task's environment."""

    def __init__(self, answer):
        self.kinds_served = sorted(answer) if isinstance(answer, dict) else []
        self.answer = _by_kind(answer) if isinstance(answer, dict) else answer
        self.requests = []
        self._folder = tempfile.mkdtemp(prefix="dagbridge-ch-")
        self.path = os.path.join(self._folder, "channel.sock")
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._server.bind(self.path)
        self._server.listen(8)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def env(self):
        return {"DAGBRIDGE_CHANNEL_SOCKET": self.path, "DAGBRIDGE_CHANNEL_TOKEN": TOKEN}

    def kinds(self):
        return [kind for kind, _ in self.requests]

    def _serve(self):
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:  # closed at the end of the test
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn):
        with conn:
            while True:
                header = _read(conn, _HEADER.size)
                if header is None:
                    return
                message = json.loads(_read(conn, _HEADER.unpack(header)[0]).decode("utf-8"))
                if message.get("kind") == "hello":
                    ok = message.get("token") == TOKEN
                    conn.sendall(_frame({"v": 1, "id": None, "ok": ok, "result": {"maxMessageBytes": 1 << 25, "kinds": self.kinds_served}}
                                        if ok else {"v": 1, "id": None, "ok": False,
                                                    "error": {"code": "unauthorized", "message": "bad token"}}))
                    continue
                kind, payload = message["kind"], message["payload"]
                self.requests.append((kind, payload))
                try:
                    response = {"v": 1, "id": message["id"], "ok": True, "result": self.answer(kind, payload)}
                except Refusal as refusal:
                    response = {"v": 1, "id": message["id"], "ok": False,
                                "error": {"code": refusal.code, "message": "%s: %s" % (kind, refusal)}}
                conn.sendall(_frame(response))


def _by_kind(handlers):
    def answer(kind, payload):
        handler = handlers.get(kind)
        if handler is None:
            raise Refusal("unknown_kind", "unknown kind %s" % kind)
        return handler(payload)

    return answer


def connection_record(conn_id, **fields):
    """A ``ConnectionRecord`` as the worker answers ``connection.get``."""
    record = {"connId": conn_id, "connType": None, "description": None, "host": None, "schema": None,
              "login": None, "password": None, "port": None, "extra": None}
    record.update(fields)
    return record


def run_with_channel(file, dag_id, task_id, answer, **overrides):
    """Runs one task of a fixture DAG file with a FakeChannel answering ``answer``: (Run, requests)."""
    with FakeChannel(answer) as channel:
        outcome = run_task(file, dag_id, task_id, env=base_env(**channel.env()), **overrides)
    return outcome, channel.requests


def error_of(outcome):
    """(state, error type, message, retryable) of a run's result."""
    error = outcome.result["error"] or {}
    return outcome.result["state"], error.get("type"), error.get("message"), error.get("retryable")
