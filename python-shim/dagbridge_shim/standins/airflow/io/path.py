"""ObjectStoragePath (stand-in of airflow.io.path and airflow.sdk's ObjectStoragePath), backed by ``pathlib``.

Local paths (``/data/x``, ``file:///data/x``) work as in Airflow: reading, writing, listing, ``copy``,
``move``, ``size``, ``serialize``. Airflow serves other schemes (``s3://``, ``gs://``, ...) through fsspec
filesystems that provider packages register; the stand-in has none. Such a path can be built (a DAG file that
builds one at the top still loads, and ``bucket``, ``key``, ``/`` and ``str`` work), and any filesystem call
fails with ``NotSupportedByDagbridge`` naming the package the scheme needs.
"""
import os
import pathlib
import shutil
from urllib.parse import urlsplit

from airflow.exceptions import NotSupportedByDagbridge

#: scheme -> what Airflow needs to serve it (the provider registering the fsspec filesystem, and that library).
REMOTE_FILESYSTEMS = {
    "s3": "apache-airflow-providers-amazon (s3fs)", "s3a": "apache-airflow-providers-amazon (s3fs)",
    "gs": "apache-airflow-providers-google (gcsfs)", "gcs": "apache-airflow-providers-google (gcsfs)",
    "abfs": "apache-airflow-providers-microsoft-azure (adlfs)",
    "abfss": "apache-airflow-providers-microsoft-azure (adlfs)",
    "adl": "apache-airflow-providers-microsoft-azure (adlfs)", "az": "apache-airflow-providers-microsoft-azure (adlfs)",
    "msgdrive": "apache-airflow-providers-microsoft-azure (msgraphfs)",
    "http": "apache-airflow-providers-http (fsspec's HTTPFileSystem, aiohttp)",
    "https": "apache-airflow-providers-http (fsspec's HTTPFileSystem, aiohttp)",
    "sftp": "apache-airflow-providers-sftp (sshfs)", "ftp": "apache-airflow-providers-ftp",
    "hdfs": "apache-airflow-providers-apache-hdfs", "webhdfs": "apache-airflow-providers-apache-hdfs",
    "oss": "apache-airflow-providers-alibaba (ossfs)",
}
_LOCAL = ("", "file", "local")


class ObjectStoragePath(os.PathLike):
    """A path on local storage or (by name only) an object store: ``ObjectStoragePath("s3://conn@bucket/key")``."""

    __version__ = 1
    sep = "/"
    root_marker = "/"

    def __init__(self, *args, scheme=None, conn_id=None, protocol=None, **storage_options):
        if not args:
            args = (".",)
        first = os.fspath(args[0]) if isinstance(args[0], os.PathLike) else str(args[0])
        if isinstance(args[0], ObjectStoragePath):
            protocol = protocol or args[0].protocol
            conn_id = conn_id or args[0].storage_options.get("conn_id")
            first = args[0].path
        parsed = urlsplit(first)
        userinfo, have_info, hostinfo = parsed.netloc.rpartition("@")
        if have_info:
            conn_id = conn_id or userinfo or None
            parsed = parsed._replace(netloc=hostinfo)
        self._protocol = (scheme or protocol or parsed.scheme or "").lower()
        if parsed.scheme:
            path = (parsed.netloc + parsed.path) if self._protocol not in _LOCAL else parsed.path
        else:
            path = first
        rest = [os.fspath(part) if isinstance(part, os.PathLike) else str(part) for part in args[1:]]
        self._path = str(pathlib.PurePosixPath(path, *rest)) if path or rest else ""
        # A trailing "/" means a folder (copy into it), as in Airflow; pathlib would drop it.
        last = (rest or [path])[-1]
        if last.endswith(self.sep) and not self._path.endswith(self.sep):
            self._path += self.sep
        self._storage_options = dict(storage_options)
        if conn_id is not None:
            self._storage_options["conn_id"] = conn_id

    # ---- names and parts (no filesystem needed)

    @property
    def protocol(self):
        return self._protocol or "file"

    @property
    def storage_options(self):
        return dict(self._storage_options)

    @property
    def path(self):
        return self._path

    @property
    def bucket(self):
        if self._protocol in _LOCAL:
            return ""
        return self._path.split(self.sep, 1)[0]

    container = bucket

    @property
    def key(self):
        if self._protocol in _LOCAL:
            return self._path.lstrip(self.sep)
        _, _, key = self._path.partition(self.sep)
        return key

    @property
    def namespace(self):
        return "%s://%s" % (self.protocol, self.bucket) if self.bucket else self.protocol

    def _pure(self):
        return pathlib.PurePosixPath(self._path)

    @property
    def name(self):
        return self._pure().name

    @property
    def stem(self):
        return self._pure().stem

    @property
    def suffix(self):
        return self._pure().suffix

    @property
    def suffixes(self):
        return self._pure().suffixes

    @property
    def parts(self):
        return self._pure().parts

    @property
    def parent(self):
        return self._derive(str(self._pure().parent))

    def _derive(self, path):
        return ObjectStoragePath(path, protocol=self._protocol or None, **self._storage_options)

    def joinpath(self, *parts):
        return self._derive(str(self._pure().joinpath(*parts)))

    def __truediv__(self, other):
        return self.joinpath(other)

    def with_name(self, name):
        return self._derive(str(self._pure().with_name(name)))

    def with_suffix(self, suffix):
        return self._derive(str(self._pure().with_suffix(suffix)))

    def samestore(self, other):
        return (isinstance(other, ObjectStoragePath) and self.protocol == other.protocol
                and self._storage_options.get("conn_id") == other._storage_options.get("conn_id"))

    def __eq__(self, other):
        return self.samestore(other) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    def __str__(self):
        conn_id = self._storage_options.get("conn_id")
        if self._protocol and conn_id:
            return "%s://%s@%s" % (self._protocol, conn_id, self._path)
        if self._protocol:
            return "%s://%s" % (self._protocol, self._path)
        return self._path

    def __repr__(self):
        return "ObjectStoragePath(%r)" % str(self)

    def serialize(self):
        options = dict(self._storage_options)
        conn_id = options.pop("conn_id", None)
        return {"path": str(self), "conn_id": conn_id, "kwargs": options}

    @classmethod
    def deserialize(cls, data, version):
        if version > cls.__version__:
            raise ValueError("Cannot deserialize version %s with version %s." % (version, cls.__version__))
        data = dict(data)
        return cls(data.pop("path"), conn_id=data.pop("conn_id", None), **data.pop("kwargs"))

    # ---- the filesystem (local only)

    def _local(self):
        if self._protocol in _LOCAL:
            return pathlib.Path(self._path)
        needs = REMOTE_FILESYSTEMS.get(self._protocol, "an fsspec filesystem for %r from a provider package"
                                       % self._protocol)
        raise NotSupportedByDagbridge(
            "ObjectStoragePath %s: dagbridge's stand-in airflow.io serves local paths and file:// only; the %r "
            "scheme needs Apache Airflow with %s installed where the task runs" % (self, self._protocol, needs))

    def __fspath__(self):
        return str(self._local())

    def _wrap(self, local_path):
        return self._derive(str(local_path))

    def open(self, mode="r", **kwargs):
        return self._local().open(mode, **kwargs)

    def exists(self):
        return self._local().exists()

    def is_file(self):
        return self._local().is_file()

    def is_dir(self):
        return self._local().is_dir()

    def stat(self):
        return self._local().stat()

    def size(self):
        return self._local().stat().st_size

    def read_text(self, encoding=None, errors=None):
        return self._local().read_text(encoding=encoding, errors=errors)

    def read_bytes(self):
        return self._local().read_bytes()

    def write_text(self, data, encoding=None, errors=None, newline=None):
        local = self._local()
        with local.open("w", encoding=encoding, errors=errors, newline=newline) as handle:
            return handle.write(data)

    def write_bytes(self, data):
        return self._local().write_bytes(data)

    def mkdir(self, mode=0o777, parents=False, exist_ok=False):
        self._local().mkdir(mode=mode, parents=parents, exist_ok=exist_ok)

    def touch(self, mode=0o666, exist_ok=True):
        self._local().touch(mode=mode, exist_ok=exist_ok)

    def unlink(self, missing_ok=False):
        local = self._local()
        if missing_ok and not local.exists():
            return
        local.unlink()

    def rmdir(self, recursive=True):
        local = self._local()
        if recursive:
            shutil.rmtree(local)
        else:
            local.rmdir()

    def iterdir(self):
        return (self._wrap(child) for child in self._local().iterdir())

    def glob(self, pattern):
        return (self._wrap(found) for found in self._local().glob(pattern))

    def rglob(self, pattern):
        return (self._wrap(found) for found in self._local().rglob(pattern))

    def rename(self, target):
        return self._wrap(self._local().rename(_local_of(target)))

    def replace(self, target):
        return self._wrap(self._local().replace(_local_of(target)))

    def samefile(self, other):
        return self._local().samefile(_local_of(other))

    def resolve(self, strict=False):
        return self._wrap(self._local().resolve(strict=strict))

    def copy(self, dst, recursive=False, **kwargs):
        """Copies the file (or, with ``recursive``, the folder) to ``dst``; into ``dst`` when it is a folder."""
        dst = ObjectStoragePath(dst) if isinstance(dst, str) else dst
        source, target = self._local(), _local_of(dst)
        if source.is_dir():
            if not recursive:
                raise IsADirectoryError("%s is a directory; pass recursive=True" % self)
            shutil.copytree(source, target, dirs_exist_ok=True)
            return
        if str(dst).endswith(self.sep) or target.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            target = target / source.name
        shutil.copyfile(source, target)

    def move(self, path, recursive=False, **kwargs):
        path = ObjectStoragePath(path) if isinstance(path, str) else path
        shutil.move(str(self._local()), str(_local_of(path)))

    @classmethod
    def cwd(cls):
        return cls(os.getcwd())

    @classmethod
    def home(cls):
        return cls(os.path.expanduser("~"))


def _local_of(value):
    if isinstance(value, ObjectStoragePath):
        return value._local()
    return ObjectStoragePath(value)._local()


__all__ = ["ObjectStoragePath"]
