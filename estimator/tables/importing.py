"""``tables import``: a quarterly CMS release (the .zip as CMS publishes it, or its unpacked folder) into the
user's tables folder, safely.

The whole import holds the tables folder's lock (two imports, or an import and a program loading tables,
never interleave), unpacks and builds in a unique staging folder beside the releases, and swaps the
result in with ``swap.swap_in``; nothing outside the staging folder changes until the release is
complete.  A .zip is checked before anything is unpacked: member count, each member's and the total
unpacked size and compression ratio (zip bombs), encrypted members; a bad checksum or a truncated
archive stops the import with one line.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Final

from estimator.core.errors import DataFileError, InputError
from estimator.tables import ptp_files, swap
from estimator.tables.building import Progress, build_tables
from estimator.tables.shipped import TableCatalog

MiB: Final = 1024 * 1024
#: A CMS RVU release has ~15 members; its largest (the PPRRVU text) unpacks to ~5 MB, the whole to ~40 MB.
MAX_MEMBERS: Final = 500
MAX_MEMBER_BYTES: Final = 256 * MiB
MAX_TOTAL_BYTES: Final = 1024 * MiB
#: Text compresses about 10:1; a zip bomb thousands to one.  Small members are exempt (a tiny file of
#: blanks compresses well and is harmless).
MAX_RATIO: Final = 100
RATIO_EXEMPT_BYTES: Final = MiB
_CHUNK: Final = MiB


def _no_progress(step: str, fraction: float) -> None:
    """Default progress sink: say nothing."""


def check_archive(archive: zipfile.ZipFile, path: Path) -> list[zipfile.ZipInfo]:
    """The members to unpack, after checking every limit from the archive's directory (nothing is read).

    Raises:
        DataFileError: too many members, a member too large or compressed too well, too large in all,
            an encrypted member.
    """
    members = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    if len(members) > MAX_MEMBERS:
        raise DataFileError(str(path), None, None, f"has {len(members)} files, more than the {MAX_MEMBERS} a CMS "
                            "release could have; it is not a CMS RVU release")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise DataFileError(str(path), None, info.filename, "is encrypted; CMS releases never are: download "
                                "the release again from cms.gov")
        if info.file_size > MAX_MEMBER_BYTES:
            raise DataFileError(str(path), None, info.filename, f"would unpack to {info.file_size // MiB:,} MB, "
                                f"over the {MAX_MEMBER_BYTES // MiB} MB limit for one file")
        if info.file_size > RATIO_EXEMPT_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise DataFileError(str(path), None, info.filename, f"is compressed {ratio:,} to 1, beyond the "
                                f"{MAX_RATIO} to 1 of real files (a zip bomb?); not unpacked")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise DataFileError(str(path), None, None, f"would unpack to over {MAX_TOTAL_BYTES // MiB} MB; "
                                "it is not a CMS RVU release")
    return members


def unpack_release(path: Path, into: Path) -> None:
    """Unpack a release .zip into the empty folder ``into`` (flat: CMS zips have no folders), within limits.

    Raises:
        DataFileError: not a zip, truncated, a bad checksum, an encrypted member or a limit exceeded.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise DataFileError(str(path), None, None, f"is not a readable .zip ({exc}; truncated or damaged?): "
                            "download it again") from None
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read ({exc.strerror})") from None
    with archive:
        members = check_archive(archive, path)
        seen: set[str] = set()
        for info in members:
            name = PurePosixPath(info.filename.replace("\\", "/")).name
            if not name or name.startswith(".") or name.lower() in seen:
                continue  # hidden files; a name repeated in another folder keeps the first
            seen.add(name.lower())
            _unpack_member(archive, info, into / name, path)


def _unpack_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, path: Path) -> None:
    written = 0
    try:
        with archive.open(info) as source, target.open("xb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size:  # a lying directory entry
                    raise DataFileError(str(path), None, info.filename, "unpacks to more than it declares; "
                                        "damaged or forged archive")
                out.write(chunk)
    except zipfile.BadZipFile as exc:
        raise DataFileError(str(path), None, info.filename, f"is damaged ({exc}): download the release "
                            "again") from None
    except (EOFError, zlib.error) as exc:
        raise DataFileError(str(path), None, info.filename, f"is truncated or damaged ({exc or 'unexpected end'}):"
                            " download the release again") from None
    except NotImplementedError as exc:
        raise DataFileError(str(path), None, info.filename, f"cannot be unpacked ({exc})") from None


def release_year(folder: Path) -> int:
    """The newest payment year among the PPRRVU files under ``folder``.

    Raises:
        InputError: no PPRRVU file.
    """
    years = sorted({2000 + int(m.group(1)[-2:]) for p in folder.rglob("*")
                    if (m := re.search(r"PPRRVU((?:20)?\d\d)(?!\d)", p.name.upper()))})
    if not years:
        raise InputError(f"no PPRRVU file found in {folder}: a CMS release has e.g. PPRRVU2026_Oct_nonQPP.csv")
    return years[-1]


def _fallback(catalog: TableCatalog, year: int) -> Path | None:
    """The release whose ZIP, county and other tables a new release without them reuses: the newest of
    its year, else the newest before it."""
    earlier = [r for r in catalog.releases() if r.year <= year]
    return earlier[-1].folder if earlier else None


def import_release(source: Path, user_root: Path, catalog: TableCatalog,
                   progress: Progress = _no_progress) -> dict[str, Any]:
    """Import the release in ``source`` (a CMS .zip or its folder) into ``user_root`` and return its manifest.

    Returns only after the new release is in place, complete; on any failure nothing in ``user_root``
    changed (apart from finishing an earlier interrupted import).

    Raises:
        InputError: ``source`` missing or holding no PPRRVU file.
        DataFileError: a damaged or oversized archive, or a malformed file (named with its line and field).
    """
    if not source.exists():
        raise InputError(f"{source} does not exist: give the folder or .zip of a CMS RVU release")
    if source.is_file() and not zipfile.is_zipfile(source) and source.suffix.lower() != ".zip":
        raise InputError(f"{source} is neither a folder nor a .zip file")
    progress("waiting for other imports", 0.0)
    with swap.locked(user_root):
        swap.recover_locked(user_root)
        staging = swap.staging_folder(user_root)
        try:
            folder = source
            if source.is_file():
                progress("unpacking the .zip", 0.02)
                folder = staging / "unpacked"
                folder.mkdir()
                unpack_release(source, folder)
            year = release_year(folder)
            manifest = build_tables(folder, year, staging / "tables", fallback=_fallback(catalog, year),
                                    progress=lambda step, done: progress(step, 0.05 + done * 0.9))
            progress("swapping the release in", 0.97)
            swap.swap_in(user_root, staging / "tables", f"{year}-{manifest['release']}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    progress("done", 1.0)
    return manifest


# --- the NCCI PTP file (the user's own copy; not shipped) -------------------------------------------------


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """A checked member's bytes (its size was bounded by ``check_archive``; a lying entry is refused)."""
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as source:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > info.file_size:
                    raise DataFileError(str(path), None, info.filename, "unpacks to more than it declares; "
                                        "damaged or forged archive")
                chunks.append(chunk)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise DataFileError(str(path), None, info.filename, f"is damaged or truncated ({exc}): download it "
                            "again") from None
    return b"".join(chunks)


def read_ptp_sources(sources: Sequence[Path], year: int) -> tuple[list[ptp_files.PtpFile], list[str]]:
    """Every PTP file in ``sources`` (CMS's ``ccipra`` .zip files or the .txt inside them), read and checked
    whole, keeping the edits in force in ``year``; and notes (e.g. a read-me in a zip that was skipped).

    Raises:
        InputError: a source is missing or not a file.
        DataFileError: a damaged or oversized zip, or a malformed PTP file (file, line and column named).
    """
    files: list[ptp_files.PtpFile] = []
    notes: list[str] = []
    for source in sources:
        if not source.is_file():
            raise InputError(f"{source} does not exist or is not a file: give CMS's practitioner PTP .zip "
                             "(ccipra-v...-f1.zip) or the tab-delimited .txt inside it")
        if zipfile.is_zipfile(source):
            try:
                archive = zipfile.ZipFile(source)
            except (zipfile.BadZipFile, OSError) as exc:
                raise DataFileError(str(source), None, None, f"is not a readable .zip ({exc})") from None
            with archive:
                texts = [i for i in check_archive(archive, source) if i.filename.lower().endswith(".txt")]
                found = []
                for info in texts:
                    name = f"{source} ({info.filename})"
                    try:
                        found.append(ptp_files.read_ptp_bytes(name, _read_member(archive, info, source), year))
                    except ptp_files.NotPtpFileError:
                        notes.append(f"{name} skipped: it is not a PTP edit file (no 'Column 1, Column 2' header)")
                if not found:
                    raise DataFileError(str(source), None, None, "holds no PTP edit file (a tab-delimited .txt "
                                        "with the header 'Column 1, Column 2, ...')")
                files.extend(found)
            continue
        if source.stat().st_size > MAX_MEMBER_BYTES:
            raise DataFileError(str(source), None, None, f"is over {MAX_MEMBER_BYTES // MiB} MB: not a PTP file")
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise DataFileError(str(source), None, None, f"cannot read ({exc.strerror})") from None
        files.append(ptp_files.read_ptp_bytes(str(source), data, year))
    return files, notes


def import_ptp(sources: Sequence[Path], year: int, user_root: Path, today: dt.date) -> dict[str, Any]:
    """Import CMS's practitioner PTP edits for ``year`` into ``user_root/ptp/YEAR``, replacing that year's.

    Everything is read and checked before anything is written; the year's folder is then built beside the
    others and swapped in under the folder's lock, so a bad file or a crash leaves the previous import as
    it was.

    Raises:
        InputError: no source, a year out of range, a pair listed twice, or no edit in force in ``year``.
        DataFileError: see ``read_ptp_sources``.
    """
    if not sources:
        raise InputError("give the PTP file(s): CMS's ccipra-v...-f1.zip to -f4.zip, or the .txt inside them")
    if not 2000 <= year <= 2100:
        raise InputError(f"--year must be a payment year such as 2026, got {year}")
    files, notes = read_ptp_sources(sources, year)
    seen: dict[tuple[str, str, dt.date], str] = {}
    for f in files:
        for e in f.edits:
            key = (e.column1, e.column2, e.effective)
            if key in seen:
                raise InputError(f"the edit {e.column1}/{e.column2} effective {e.effective.isoformat()} is in both "
                                 f"{seen[key]} and {f.name}: give each PTP file once")
            seen[key] = f.name
    edits = [e for f in files for e in f.edits]
    if not edits:
        raise InputError(f"none of the {sum(f.rows for f in files):,} edits read is in force in {year}: is it "
                         "the PTP file for that year?")
    root = user_root / ptp_files.FOLDER
    with swap.locked(root):
        swap.recover_locked(root)
        staging = swap.staging_folder(root)
        try:
            manifest = ptp_files.write_ptp_folder(staging, year, files, edits, today, notes)
            swap.swap_in(root, staging, str(year))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return manifest
