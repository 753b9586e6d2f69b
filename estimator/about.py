"""What the program is: its version, the tables it carries, its licence and the third-party components.

One text for ``estimator --version``, Help > About and the desktop build's notices.  Licence texts are
package resources (``estimator/resources/licenses``): Qt's wheels carry none, so a bundled app would
otherwise ship without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Protocol

from estimator import __version__

PRODUCT = "17000 Estimator"
LICENSE_LINE = "Copyright (c) 2026 the 17000 estimator developers. All rights reserved (see LICENSE)."


class _Release(Protocol):
    @property
    def release(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def origin(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Component:
    """A third-party component shipped with the program, and the licence file that covers it."""

    name: str
    distribution: str
    licence: str
    licence_files: tuple[str, ...]


COMPONENTS: tuple[Component, ...] = (
    Component("Qt 6 and Qt for Python (PySide6-Essentials)", "PySide6-Essentials",
              "LGPL-3.0 (Qt for Python is also offered under GPL-2.0/GPL-3.0)", ("LGPL-3.0.txt", "GPL-3.0.txt")),
    Component("Shiboken6 (Qt for Python binding runtime)", "shiboken6", "LGPL-3.0", ("LGPL-3.0.txt", "GPL-3.0.txt")),
    Component("NumPy", "numpy", "BSD-3-Clause (bundled parts under their own licences)", ("numpy.txt",)),
    Component("PyQtGraph", "pyqtgraph", "MIT", ("pyqtgraph.txt",)),
    Component("platformdirs", "platformdirs", "MIT", ("platformdirs.txt",)),
    Component("openpyxl (reads .xlsx claim files)", "openpyxl", "MIT", ("openpyxl.txt",)),
    Component("et-xmlfile (used by openpyxl)", "et-xmlfile", "MIT; parts under the Python Software Foundation "
              "Licence", ("et_xmlfile.txt",)),
    Component("psycopg 3 (PostgreSQL driver, for a shared database)", "psycopg", "LGPL-3.0",
              ("LGPL-3.0.txt", "GPL-3.0.txt")),
    Component("libpq and the libraries psycopg-binary bundles (OpenSSL, Kerberos, OpenLDAP, Cyrus SASL)",
              "psycopg-binary", "PostgreSQL Licence; OpenSSL under Apache-2.0; the others under BSD-style licences",
              ("postgresql-libpq.txt", "Apache-2.0.txt")),
    Component("CMS Medicare fee-schedule and NCCI files", "", "US government work, public domain; "
              "CPT descriptors are not shipped (AMA copyright)", ()),
)


def component_version(distribution: str) -> str:
    from importlib import metadata  # noqa: PLC0415 - 10 ms of imports every CLI call would pay for nothing

    if not distribution:
        return ""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def licence_text(name: str) -> str:
    """One of the shipped licence files (``LGPL-3.0.txt``, ``numpy.txt``, ...)."""
    return resources.files("estimator").joinpath("resources", "licenses", name).read_text(encoding="utf-8")


def version_line(releases: Iterable[_Release]) -> str:
    """``estimator 0.1.0 (fee-schedule tables: RVU26C for 2026)`` — the newest release of each year."""
    newest: dict[int, str] = {}
    for r in releases:
        newest[r.year] = r.release
    if not newest:
        return f"estimator {__version__} (no fee-schedule tables found)"
    tables = ", ".join(f"{release} for {year}" for year, release in sorted(newest.items(), reverse=True))
    return f"estimator {__version__} (fee-schedule tables: {tables})"


def about_text(releases: Iterable[_Release]) -> str:
    """Help > About: version and tables, the licence, and the third-party components with their licences."""
    releases = list(releases)
    lines = [PRODUCT, version_line(releases), "", LICENSE_LINE, "",
             "Tables: " + (", ".join(f"{r.release} ({r.year}, {r.origin})" for r in releases) or "none"), "",
             "Third-party components:"]
    for c in COMPONENTS:
        version = component_version(c.distribution)
        lines.append(f"  {c.name}{' ' + version if version else ''}: {c.licence}")
    lines += ["", "Licence texts are installed with the program (estimator/resources/licenses) and listed in "
              "THIRD_PARTY_NOTICES.md."]
    return "\n".join(lines)
