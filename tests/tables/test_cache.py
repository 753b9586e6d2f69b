"""The binary table cache (estimator.tables.cache): the CSV loader's tables, never stale, never trusted blindly."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from estimator import paths
from estimator.core.errors import DataFileError
from estimator.tables.cache import cache_path, load_cached
from estimator.tables.shipped import default_catalog, load_table_set
from tests.conftest import SHIPPED_TABLES


def same(a: Any, b: Any) -> bool:
    """Field by field (dataclasses), dtype and value (arrays), else ``==``."""
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a) if f.init)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, Mapping):  # the cache builds a records table on first lookup (any Mapping will do)
        return isinstance(b, Mapping) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class CountingLoader:
    """``load_table_set``, counting how often the CSV files are really parsed."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, folder: Path) -> Any:
        self.calls += 1
        return load_table_set(folder)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_TABLES / "2026", tmp_path / "tables" / "2026"))


@pytest.mark.parametrize("year", [2025, 2026])
def test_a_cached_table_set_equals_the_one_parsed_from_csv_in_every_field(tmp_path, year):
    fresh = load_table_set(SHIPPED_TABLES / str(year))
    loader = CountingLoader()
    load_cached(SHIPPED_TABLES / str(year), loader, tmp_path / "cache")
    cached = load_cached(SHIPPED_TABLES / str(year), loader, tmp_path / "cache")
    assert loader.calls == 1  # the second load came from the cache
    assert same(fresh, cached)
    assert cached.schedule.row("17000") == fresh.schedule.row("17000")
    assert not cached.schedule.work.flags.writeable


def test_a_changed_table_makes_the_cache_stale_and_it_is_rebuilt(tmp_path, folder):
    loader = CountingLoader()
    cache = tmp_path / "cache"
    before = load_cached(folder, loader, cache)
    # A new release in the same folder: 17000's work RVU changed, the manifest's checksum updated with it.
    rvu = (folder / "rvu.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(rvu) if line.startswith("17000,"))
    fields = rvu[at].split(",")
    fields[3] = "9.99"
    rvu[at] = ",".join(fields)
    text = "".join(rvu)
    (folder / "rvu.csv").write_text(text, encoding="utf-8", newline="")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tables"]["rvu.csv"]["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    after = load_cached(folder, loader, cache)
    assert loader.calls == 2
    row = after.schedule.row("17000")
    assert after.schedule.work[row] == 999 and before.schedule.work[row] != 999
    assert load_cached(folder, loader, cache).schedule.work[row] == 999 and loader.calls == 2


def test_a_table_damaged_after_caching_is_still_refused_not_served_from_the_cache(tmp_path, folder):
    cache = tmp_path / "cache"
    load_cached(folder, load_table_set, cache)
    data = bytearray((folder / "rvu.csv").read_bytes())
    data[len(data) // 2] ^= 1
    (folder / "rvu.csv").write_bytes(bytes(data))
    with pytest.raises(DataFileError, match="sha256"):
        load_cached(folder, load_table_set, cache)


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "garbage", "empty", "swap in another year"])
def test_a_tampered_or_damaged_cache_is_ignored_and_rebuilt(tmp_path, folder, damage):
    loader = CountingLoader()
    cache = tmp_path / "cache"
    fresh = load_cached(folder, loader, cache)
    path = cache_path(folder, cache)
    data = bytearray(path.read_bytes())
    if damage == "flip a byte":  # e.g. a GPCI or RVU edited in place
        data[len(data) - 1000] ^= 0x10
    elif damage == "truncate":
        del data[len(data) // 2:]
    elif damage == "garbage":
        data = bytearray(b"\x93NUMPY" + bytes(200))
    elif damage == "empty":
        data = bytearray()
    else:  # a valid cache file of the 2025 tables copied over the 2026 one
        load_cached(SHIPPED_TABLES / "2025", loader, cache)
        data = bytearray(cache_path(SHIPPED_TABLES / "2025", cache).read_bytes())
        loader.calls -= 1
    path.write_bytes(bytes(data))
    again = load_cached(folder, loader, cache)
    assert loader.calls == 2  # parsed from CSV again
    assert same(fresh, again)
    assert load_cached(folder, loader, cache) is not again and loader.calls == 2  # and the cache was rewritten


def test_an_unwritable_cache_folder_only_costs_speed(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    tables = load_cached(SHIPPED_TABLES / "2026", load_table_set, blocker / "cache")
    assert tables.release == "RVU26C"


def test_the_default_catalog_caches_in_the_user_cache_folder_owner_only():
    catalog = default_catalog()
    tables = catalog.for_year(2026)
    files = list(paths.user_cache_dir().glob("tables-*"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o077 == 0
    assert default_catalog().for_year(2026).schedule.row("17000") == tables.schedule.row("17000")


def resealed(path: Path, header_change: Any = None, body_change: Any = None) -> None:
    """Edit a cache file's JSON header and/or binary part and give it a valid digest again (the header kept
    at its length, so the arrays stay where they were): what a damaged writer or a deliberate edit makes."""
    data = path.read_bytes()
    body = bytearray(data[data.index(b"\n") + 1:])
    size = int.from_bytes(body[:8], "little")
    header = json.loads(body[8:8 + size])
    if header_change is not None:
        header_change(header)
        text = json.dumps(header, sort_keys=True).encode()
        assert len(text) <= size
        body[8:8 + size] = text.ljust(size)
    if body_change is not None:
        body_change(header, body, -(-(8 + size) // 64) * 64)
    path.write_bytes(b"ESTIMATOR-TABLES-1 " + hashlib.sha256(body).hexdigest().encode() + b"\n" + bytes(body))


def mue_rationale(header: dict[str, Any]) -> dict[str, Any]:
    limits = header["tree"]["fields"]["ncci"]["fields"]["unit_limits"]
    column: dict[str, Any] = limits["columns"][limits["fields"].index("rationale")]
    return column


def index_out_of_range(header: dict[str, Any], body: bytearray, start: int) -> None:
    _, _, offset = header["arrays"][mue_rationale(header)["$index"]]
    body[start + offset:start + offset + 8] = (10 ** 6).to_bytes(8, "little")


@pytest.mark.parametrize("damage", ["index out of range", "fewer distinct values", "records of another class"])
def test_a_cache_with_a_valid_digest_but_malformed_records_is_refused_and_rebuilt(tmp_path, folder, damage):
    loader = CountingLoader()
    cache = tmp_path / "cache"
    fresh = load_cached(folder, loader, cache)
    path = cache_path(folder, cache)
    if damage == "index out of range":
        resealed(path, body_change=index_out_of_range)
    elif damage == "fewer distinct values":
        resealed(path, header_change=lambda h: mue_rationale(h).update({"$texts": mue_rationale(h)["$texts"][:1]}))
    else:
        resealed(path, header_change=lambda h: h["tree"]["fields"]["ncci"]["fields"]["unit_limits"].update(
            {"$records": "estimator.core.ncci:AddOnEdit"}))
    again = load_cached(folder, loader, cache)
    assert loader.calls == 2 and same(fresh, again)


def test_a_resealed_but_unchanged_cache_is_still_used(tmp_path, folder):
    """The check above refuses the damage, not any rewritten file."""
    loader = CountingLoader()
    cache = tmp_path / "cache"
    load_cached(folder, loader, cache)
    resealed(cache_path(folder, cache), header_change=lambda h: None)
    load_cached(folder, loader, cache)
    assert loader.calls == 1
