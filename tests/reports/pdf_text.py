"""Text of a rendered PDF, through poppler's ``pdftotext`` (tests skip, with the reason, where it is absent)."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest


def pdf_text(pdf: Path | bytes, tmp_path: Path | None = None) -> str:
    """The PDF's text in reading order, whitespace collapsed to single spaces and ligatures (ﬁ) unfolded."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed, so the PDF's text cannot be checked")
    if isinstance(pdf, bytes):
        if tmp_path is None:
            raise ValueError("give tmp_path to check PDF bytes")
        path = tmp_path / "document.pdf"
        path.write_bytes(pdf)
    else:
        path = pdf
    out = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, timeout=60)
    text = unicodedata.normalize("NFKC", out.stdout.decode("utf-8"))
    return " ".join(text.split())


def pdf_pages(pdf: Path) -> int:
    """The number of pages (from ``pdfinfo``), skipping where poppler is absent."""
    tool = shutil.which("pdfinfo")
    if tool is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    out = subprocess.run([tool, str(pdf)], check=True, capture_output=True, text=True, timeout=60).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))
