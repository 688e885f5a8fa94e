"""The task's end of the supervisor channel (docs/shim.md "The supervisor channel"): requests to the worker that
started the task, answered from the metadata store for this task instance only.

The worker listens on a unix domain socket of the attempt and names it in ``DAGBRIDGE_CHANNEL_SOCKET`` (a path,
or ``@name`` for a Linux abstract socket), with the attempt's token in ``DAGBRIDGE_CHANNEL_TOKEN``. A fresh
interpreter and a forked child find it the same way. ``take_environment()`` moves both out of ``os.environ`` at
the start of a run, so commands the task starts (a BashOperator's shell) do not inherit the token.

Frames are a 4-byte big-endian length and a UTF-8 JSON object. ``request(kind, payload)`` sends one request and
returns its ``result``; a refusal raises ``ChannelError`` naming the request. One connection per process, opened
on first use (again after a fork), requests one at a time under a lock.
"""
import json
import os
import struct
import threading

#: Version of the channel's messages (``v``), inside contract 3.
CHANNEL_PROTOCOL_VERSION = 1
SOCKET_ENV = "DAGBRIDGE_CHANNEL_SOCKET"
TOKEN_ENV = "DAGBRIDGE_CHANNEL_TOKEN"
_HEADER = struct.Struct(">I")
#: Used until the worker's welcome says otherwise.
_DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024


class ChannelError(RuntimeError):
    """A channel request that was refused or could not be sent. ``kind`` is the request, ``code`` the reason
    (``unauthorized``, ``invalid``, ``unknown_kind``, ``forbidden``, ``limit``, ``unavailable``, ``internal``,
    ``no_channel``, ``broken``)."""

    def __init__(self, kind, code, message):
        super().__init__("channel request %s refused (%s): %s" % (kind, code, message))
        self.kind = kind
        self.code = code
        self.detail = message


_lock = threading.Lock()
_address = {"socket": None, "token": None}
_state = {"pid": None, "sock": None, "next_id": 1, "max_bytes": _DEFAULT_MAX_MESSAGE_BYTES, "kinds": ()}


def take_environment(environ=None):
    """Moves the channel's address out of ``environ`` (default ``os.environ``) into this module."""
    environ = os.environ if environ is None else environ
    socket_path = environ.pop(SOCKET_ENV, None)
    token = environ.pop(TOKEN_ENV, None)
    if socket_path and token:
        with _lock:
            _address["socket"], _address["token"] = socket_path, token
            _close_locked()


def available():
    """Whether this process was given a channel (a worker's task; not a bare ``run`` in a test)."""
    return bool(_address["socket"] or os.environ.get(SOCKET_ENV))


def request(kind, payload):
    """Sends one request and returns its ``result``; raises ``ChannelError`` when it is refused or cannot be sent."""
    if not isinstance(payload, dict):
        raise TypeError("channel payload must be a dict, got %s" % type(payload).__name__)
    with _lock:
        sock = _connect_locked(kind)
        request_id = _state["next_id"]
        _state["next_id"] += 1
        body = _encode(kind, {"v": CHANNEL_PROTOCOL_VERSION, "id": request_id, "kind": kind, "payload": payload})
        try:
            sock.sendall(body)
        except OSError as error:
            # The worker may have answered (a limit) and closed before reading it all: read that answer.
            response = _read_or_none(sock)
            _close_locked()
            if response is not None and not response.get("ok"):
                _raise(kind, response)
            raise ChannelError(kind, "broken", "the channel to the worker is closed: %s" % error) from None
        response = _read_or_none(sock)
        if response is None:
            _close_locked()
            raise ChannelError(kind, "broken", "the worker closed the channel without answering")
        if not response.get("ok"):
            error = response.get("error") or {}
            if response.get("id") is None or error.get("code") == "limit":
                _close_locked()
            _raise(kind, response)
        return response.get("result")


def _raise(kind, response):
    error = response.get("error") or {}
    raise ChannelError(kind, str(error.get("code") or "internal"), str(error.get("message") or "no reason given"))


def _encode(kind, message):
    try:
        body = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise ChannelError(kind, "invalid", "the payload is not JSON: %s" % error) from None
    limit = _state["max_bytes"]
    if len(body) > limit:
        raise ChannelError(kind, "limit", "a channel message of %d bytes is above the limit of %d bytes "
                           "(maxMessageBytes); push large data to external storage and pass a reference"
                           % (len(body), limit))
    return _HEADER.pack(len(body)) + body


#: Bytes of ``sun_path`` on Linux: Node (libuv) binds an abstract name padded with NULs to this length.
_SUN_PATH_BYTES = 108


def _connect_to(sock, path):
    """Connects to ``path``, or to the abstract name ``@name`` (Linux). Abstract names are compared over the
    whole address length, and the worker's Node binds its name padded with NULs to the full ``sun_path``, so the
    padded form is tried when the exact one is refused (a binder that uses the exact length is reached first)."""
    if not path.startswith("@"):
        sock.connect(path)
        return
    exact = "\0" + path[1:]
    try:
        sock.connect(exact)
    except ConnectionRefusedError:
        if len(exact.encode("utf-8")) >= _SUN_PATH_BYTES:
            raise
        sock.connect(exact.ljust(_SUN_PATH_BYTES, "\0"))


def _connect_locked(kind):
    if _state["sock"] is not None and _state["pid"] == os.getpid():
        return _state["sock"]
    _state["sock"] = None
    path, token = _address["socket"], _address["token"]
    if not path:
        path, token = os.environ.get(SOCKET_ENV), os.environ.get(TOKEN_ENV)
    if not path or not token:
        raise ChannelError(kind, "no_channel", "this process has no supervisor channel (%s is not set): the "
                           "request needs a task started by a dagbridge worker, standalone or dags test" % SOCKET_ENV)
    # socket is one of the slower standard modules to import; only a task that asks for something pays.
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        _connect_to(sock, path)
        sock.sendall(_encode(kind, {"v": CHANNEL_PROTOCOL_VERSION, "kind": "hello", "token": token}))
    except OSError as error:
        sock.close()
        raise ChannelError(kind, "broken", "cannot reach the worker's channel at %s: %s" % (path, error)) from None
    welcome = _read_or_none(sock)
    if welcome is None or not welcome.get("ok"):
        sock.close()
        if welcome is None:
            raise ChannelError(kind, "broken", "the worker closed the channel during the hello")
        _raise(kind, welcome)
    result = welcome.get("result") or {}
    _state["max_bytes"] = int(result.get("maxMessageBytes") or _DEFAULT_MAX_MESSAGE_BYTES)
    _state["kinds"] = tuple(result.get("kinds") or ())
    _state["sock"], _state["pid"] = sock, os.getpid()
    return sock


def _read_exact(sock, count):
    chunks = []
    while count > 0:
        chunk = sock.recv(min(count, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def _read_or_none(sock):
    try:
        header = _read_exact(sock, _HEADER.size)
        if header is None:
            return None
        body = _read_exact(sock, _HEADER.unpack(header)[0])
    except OSError:
        return None
    if body is None:
        return None
    try:
        message = json.loads(body.decode("utf-8"))
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _close_locked():
    sock = _state["sock"]
    _state["sock"] = None
    if sock is not None:
        try:
            sock.close()
        except OSError:  # already gone with the worker: nothing to release
            pass
