"""A binary cache of loaded table folders, so a start-up or a CLI call skips parsing the CSV tables.

One file per table folder in the user cache folder: a line with a magic word and a sha256, then a JSON
header and the ``TableSet``'s numpy arrays as raw bytes, read back with ``np.frombuffer`` (no copy, no
pickle: nothing in the file can run code; only ``estimator.core`` table classes are rebuilt from it).  The
MUE and add-on records are stored as columns in the binary part too, so the header that is parsed on every
start-up stays small (50 kB, not 880 kB: ~6-9 ms of JSON decoding in a fresh process, issue 17).
Two hashes guard it:

- ``key``: sha256 of the folder's ``manifest.json`` and of every table file the manifest lists (plus this
  program's version).  The cache is used only when the key of the files on disk now is the same, so a
  changed, rebuilt or damaged table is never hidden by a stale cache: the cache is rebuilt from the CSV
  files, through the normal loader and its checksum verification.
- ``digest``: sha256 of the cache's own content, checked on every load, so a damaged or edited cache file
  is ignored (and rebuilt) rather than trusted.

The cache is an optimisation only: any problem reading or writing it falls back to the CSV loader.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import importlib
import itertools
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import numpy as np

from estimator import __version__
from estimator.core.schedule import TableSet

FORMAT: Final = "estimator-table-cache/4"
MAGIC: Final = "ESTIMATOR-TABLES-1"
ALIGN: Final = 64
MANIFEST: Final = "manifest.json"
#: How much of a table file ``folder_key`` reads at a time.
HASH_CHUNK: Final = 1 << 18
#: Only classes of these packages may be rebuilt from a cache file.
TRUSTED_MODULES: Final = ("estimator.core.",)


class _Uncacheable(Exception):
    """A value the cache format cannot hold (the table set is then simply not cached)."""


def load_cached(folder: Path, load: Callable[[Path], TableSet], cache_dir: Path | None) -> TableSet:
    """``load(folder)``, from the cache in ``cache_dir`` when it matches the files on disk, else rebuilt into it."""
    if cache_dir is None:
        return load(folder)
    key = folder_key(folder)
    if key is None:  # a file is missing or unreadable: let the loader report it
        return load(folder)
    path = cache_path(folder, cache_dir)
    cached = read_cache(path, key)
    if cached is not None:
        return cached
    tables = load(folder)
    write_cache(path, key, tables)
    return tables


def cache_path(folder: Path, cache_dir: Path) -> Path:
    """One cache file per table folder (a rebuilt folder overwrites its own cache)."""
    name = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:20]
    return cache_dir / f"tables-{name}.bin"


def folder_key(folder: Path) -> str | None:
    """sha256 of the manifest and every table file it lists, or None when one cannot be read."""
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    # One reused buffer rather than each file read whole: the tables are read on every start-up, and
    # fresh memory for 2.6 MB costs more than hashing it (~1.3 ms of ~3.7, measured).
    buffer = bytearray(HASH_CHUNK)
    chunk = memoryview(buffer)
    try:
        manifest_bytes = (folder / MANIFEST).read_bytes()
        names = sorted(json.loads(manifest_bytes)["tables"])
        digest.update(manifest_bytes)
        for name in names:
            digest.update(f"\0{name}\0".encode())
            with (folder / name).open("rb", buffering=0) as table:
                while size := table.readinto(buffer):
                    digest.update(chunk[:size])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return digest.hexdigest()


def read_cache(path: Path, key: str) -> TableSet | None:
    """The cached table set, or None when the file is absent, stale, damaged or not ours."""
    try:
        data = path.read_bytes()
        newline = data.index(b"\n")
        magic, _, digest = data[:newline].partition(b" ")
        body = memoryview(data)[newline + 1:]
        if magic != MAGIC.encode() or digest.decode() != hashlib.sha256(body).hexdigest():
            return None
        size = int.from_bytes(body[:8], "little")
        content = json.loads(bytes(body[8:8 + size]))
        if content.get("key") != key:
            return None
        start = _data_start(size)
        arrays = [np.frombuffer(body, dtype=np.dtype(kind), count=math.prod(shape), offset=start + offset)
                  .reshape(shape) for kind, shape, offset in content["arrays"]]
        tables = _decode(content["tree"], arrays)
    except Exception:  # any damage at all: not trusted, rebuilt
        return None
    return tables if isinstance(tables, TableSet) else None


def write_cache(path: Path, key: str, tables: TableSet) -> None:
    """Store ``tables`` under ``key``, atomically and owner-only; a failure leaves no cache (never an error)."""
    arrays: list[np.ndarray[Any, Any]] = []
    try:
        tree = _encode(tables, arrays)
    except _Uncacheable:
        return
    specs: list[list[Any]] = []
    offset = 0
    for a in arrays:
        specs.append([a.dtype.str, list(a.shape), offset])
        offset += -(-a.nbytes // ALIGN) * ALIGN
    header = json.dumps({"key": key, "tree": tree, "arrays": specs}, sort_keys=True).encode("utf-8")
    body = bytearray(len(header).to_bytes(8, "little") + header)
    start = _data_start(len(header))
    for a, spec in zip(arrays, specs, strict=True):
        body.extend(bytes(start + spec[2] - len(body)))
        body.extend(np.ascontiguousarray(a).tobytes())
    data = f"{MAGIC} {hashlib.sha256(body).hexdigest()}\n".encode() + bytes(body)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temp = tempfile.mkstemp(prefix=".tables-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return


def _data_start(header_size: int) -> int:
    """Where the arrays begin: after the 8-byte header length and the header, aligned."""
    return -(-(8 + header_size) // ALIGN) * ALIGN


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@functools.cache
def _trusted_class(name: str) -> type:
    module, _, qualname = name.partition(":")
    if not module.startswith(TRUSTED_MODULES):
        raise ValueError(f"class {name} is not one of the table classes")
    cls = getattr(importlib.import_module(module), qualname)
    if not isinstance(cls, type) or not (dataclasses.is_dataclass(cls) or issubclass(cls, enum.Enum)):
        raise ValueError(f"{name} is not a table class")
    return cls


def _encode(value: Any, arrays: list[np.ndarray[Any, Any]]) -> Any:
    """A JSON tree for ``value``; arrays are appended to ``arrays`` and referenced by position."""
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise _Uncacheable("object array")
        arrays.append(value)
        return {"$array": len(arrays) - 1}
    if isinstance(value, enum.Enum):
        return {"$enum": _class_name(type(value)), "value": _encode(value.value, arrays)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"$dataclass": _class_name(type(value)),
                "fields": {f.name: _encode(getattr(value, f.name), arrays)
                           for f in dataclasses.fields(value) if f.init}}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dt.datetime):
        raise _Uncacheable("datetime")
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        records = _records(value, arrays)
        if records is not None:
            return records
        return {"$dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise _Uncacheable(type(value).__name__)


def _records(value: dict[Any, Any], arrays: list[np.ndarray[Any, Any]]) -> dict[str, Any] | None:
    """A dict of str keys to records of one dataclass with plain fields, or to tuples of them (the MUE and
    add-on tables: 15,000 and 7,700 records), as columns in the binary part (see ``_column``) -- nothing to
    parse when read, and one constructor call per record on first lookup -- or None when the dict is not of
    that shape."""
    if len(value) < 2 or not all(type(k) is str for k in value):
        return None
    grouped = all(type(v) is tuple for v in value.values())
    flat = [r for v in value.values() for r in v] if grouped else list(value.values())
    if not flat:
        return None
    cls = type(flat[0])
    if not dataclasses.is_dataclass(cls) or any(type(r) is not cls for r in flat):
        return None
    fields = dataclasses.fields(cls)
    if not all(f.init for f in fields):
        return None
    staged = list(arrays)  # the columns' arrays join ``arrays`` only if every column fits
    keys = _column(list(value), staged)
    columns = [_column([getattr(r, f.name) for r in flat], staged) for f in fields]
    if keys is None or any(c is None for c in columns):  # (str keys always make a text column, or None)
        return None
    arrays.extend(staged[len(arrays):])
    return {"$records": _class_name(cls), "keys": keys, "fields": [f.name for f in fields], "columns": columns,
            "lengths": [len(v) for v in value.values()] if grouped else None}


def _column(values: list[Any], arrays: list[np.ndarray[Any, Any]]) -> dict[str, Any] | None:
    """One field of a records table as an array: integers as int64; dates (or None) as day numbers, 0 for
    None; text as indexes into its distinct values when they repeat (a MUE rationale), else as a fixed-width
    text array (the codes). None: a column of another kind (the table is then stored as plain JSON)."""
    if all(type(v) is int for v in values) and all(-(2 ** 63) <= v < 2 ** 63 for v in values):
        arrays.append(np.array(values, dtype=np.int64))
        return {"$ints": len(arrays) - 1}
    if all(type(v) is dt.date or v is None for v in values):
        arrays.append(np.array([0 if v is None else v.toordinal() for v in values], dtype=np.int64))
        return {"$dates": len(arrays) - 1}
    if not all(type(v) is str for v in values):
        return None
    distinct = list(dict.fromkeys(values))
    if 2 * len(distinct) <= len(values):
        index = {text: i for i, text in enumerate(distinct)}
        arrays.append(np.array([index[v] for v in values], dtype=np.int64))
        return {"$texts": distinct, "$index": len(arrays) - 1}
    if any(v.endswith("\0") for v in values):  # a fixed-width array drops trailing NULs
        return None
    arrays.append(np.array(values, dtype=str))
    return {"$text": len(arrays) - 1}


class _LazyRecords(Mapping[str, Any]):
    """A records table from the cache, built on first lookup: a command that never asks (``price``, the
    lesion chart) never builds the MUE table's 15,000 objects.  Its shape was checked when it was read."""

    __slots__ = ("_build", "_built")

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build: Callable[[], dict[str, Any]] | None = build
        self._built: dict[str, Any] | None = None

    def _records(self) -> dict[str, Any]:
        if self._built is None:
            assert self._build is not None
            self._built, self._build = self._build(), None
        return self._built

    def __getitem__(self, key: str) -> Any:
        return self._records()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records())

    def __len__(self) -> int:
        return len(self._records())

    def __repr__(self) -> str:
        return repr(self._records())


def _decoded_records(tree: dict[str, Any], arrays: list[np.ndarray[Any, Any]]) -> Mapping[str, Any]:
    """Check a records entry's shape now (a damaged cache is refused at read time, not at first use)."""
    cls = _trusted_class(tree["$records"])
    if tree["fields"] != [f.name for f in dataclasses.fields(cls)]:
        raise ValueError("the cached records do not match their class")
    keys_column, lengths = _read_column(tree["keys"], arrays), tree["lengths"]
    count = len(keys_column) if lengths is None else sum(lengths)
    columns = [_read_column(c, arrays) for c in tree["columns"]]
    if not keys_column.is_text or len(columns) != len(tree["fields"]) or any(len(c) != count for c in columns) or \
            (lengths is not None and (len(lengths) != len(keys_column) or not all(type(n) is int and n >= 0
                                                                                 for n in lengths))):
        raise ValueError("the cached records are damaged")
    return _LazyRecords(functools.partial(_built_records, cls, keys_column, columns, lengths))


def _read_column(spec: dict[str, Any], arrays: list[np.ndarray[Any, Any]]) -> _Column:
    """A column written by ``_column``, checked: the right kind of array, every index and day in range."""
    kinds = [kind for kind in ("$ints", "$dates", "$index", "$text") if kind in spec]
    if len(kinds) != 1:
        raise ValueError("unknown column")
    kind = kinds[0]
    array = arrays[int(spec[kind])]
    if array.ndim != 1 or (array.dtype.kind != "U" if kind == "$text" else array.dtype != np.int64):
        raise ValueError(f"a {kind} column of the wrong type")
    texts = spec["$texts"] if kind == "$index" else None
    if texts is not None:
        if not (isinstance(texts, list) and all(type(t) is str for t in texts)):
            raise ValueError("the values of a text column are not text")
        _check_range(array, 0, len(texts) - 1)
    if kind == "$dates":
        _check_range(array, 0, dt.date.max.toordinal())
    return _Column(array, texts, dates=kind == "$dates")


def _check_range(array: np.ndarray[Any, Any], low: int, high: int) -> None:
    if len(array) and not (array.min() >= low and array.max() <= high):
        raise ValueError("a cached value out of range")


@dataclasses.dataclass(frozen=True, slots=True)
class _Column:
    """One checked column of a cached records table: its array, and how its values are read."""

    array: np.ndarray[Any, Any]
    texts: list[str] | None  # the distinct values an index column points into
    dates: bool  # day numbers (0: None)

    def __len__(self) -> int:
        return len(self.array)

    @property
    def is_text(self) -> bool:
        return self.texts is not None or self.array.dtype.kind == "U"

    def values(self) -> list[Any]:
        if self.texts is not None:
            texts = self.texts
            return [texts[i] for i in self.array.tolist()]
        if self.dates:
            return [None if d == 0 else dt.date.fromordinal(d) for d in self.array.tolist()]
        return list(self.array.tolist())


def _built_records(cls: type, keys_column: _Column, columns: list[_Column], lengths: list[int] | None
                   ) -> dict[str, Any]:
    keys = keys_column.values()
    records = [cls(*row) for row in zip(*(c.values() for c in columns), strict=True)]
    if lengths is None:
        return dict(zip(keys, records, strict=True))
    ends = list(itertools.accumulate(lengths))
    return {k: tuple(records[end - n:end]) for k, n, end in zip(keys, lengths, ends, strict=True)}


def _decode(tree: Any, arrays: list[np.ndarray[Any, Any]]) -> Any:
    if isinstance(tree, list):
        return [_decode(v, arrays) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "$array" in tree:
        return arrays[int(tree["$array"])]
    if "$enum" in tree:
        return _trusted_class(tree["$enum"])(_decode(tree["value"], arrays))
    if "$dataclass" in tree:
        cls = _trusted_class(tree["$dataclass"])
        return cls(**{name: _decode(v, arrays) for name, v in tree["fields"].items()})
    if "$decimal" in tree:
        return Decimal(tree["$decimal"])
    if "$date" in tree:
        return dt.date.fromisoformat(tree["$date"])
    if "$records" in tree:
        return _decoded_records(tree, arrays)
    if "$dict" in tree:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in tree["$dict"]}
    if "$tuple" in tree:
        return tuple(_decode(v, arrays) for v in tree["$tuple"])
    raise ValueError("unknown cache entry")
