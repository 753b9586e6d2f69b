"""The patient estimate and the Good Faith Estimate as HTML, rendered to PDF or a printer with Qt alone.

The documents are simple HTML that ``QTextDocument`` understands (tables, headings, a few CSS properties);
no browser engine is involved.  ``render`` lays the document out on US Letter pages and paints every page
with a footer ("Good Faith Estimate - Page 1 of 2") on any ``QPagedPaintDevice``: a ``QPdfWriter`` for a
PDF, a ``QPrinter`` from the print dialog.  A PDF is produced in memory (``html_to_pdf_bytes``), so the
Good Faith Estimate log stores exactly the bytes that were written to the file.

``QTextDocument`` needs a GUI application object; ``ensure_app`` creates one on demand for the command line
(headless, ``QT_QPA_PLATFORM=offscreen``, when there is no display).  It creates a ``QApplication`` rather
than a bare ``QGuiApplication`` so that a later widget (the app, or a GUI test in the same process) still
works.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QObject, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlock,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextTable,
)
from PySide6.QtWidgets import QApplication

from estimator.core import codes as cs
from estimator.core.business_days import GfeTiming
from estimator.core.cost_sharing import Estimate
from estimator.core.errors import EstimatorError
from estimator.core.gfe import (
    DISPUTE_THRESHOLD_CENTS,
    NOSURPRISES_PHONE,
    NOSURPRISES_URL,
    GoodFaithEstimate,
    Patient,
)
from estimator.core.payers import Method, Practice
from estimator.files import write_bytes_atomically
from estimator.reports import i18n

#: Layout happens at 96 dots per inch (a QImage with that resolution measures the fonts), whatever the screen.
LAYOUT_DPI: Final = 96
PDF_DPI: Final = 600
PAGE_MARGINS_INCH: Final = QMarginsF(0.7, 0.6, 0.7, 0.6)
FOOTER_GAP_PX: Final = 28  # layout pixels kept free at the bottom of each page for the footer
FONT_FAMILIES: Final = ["Helvetica", "Arial", "Liberation Sans", "DejaVu Sans"]
BASE_POINT_SIZE: Final = 10
KEEP_TOGETHER: Final = 0.75  # tables shorter than this share of a page are never split across pages

_app: QApplication | None = None  # keeps the on-demand application alive for the process

_STYLE: Final = """
body { color: #1a1a1a; }
h1 { font-size: 17pt; font-weight: bold; margin: 0; }
h2 { font-size: 12pt; font-weight: bold; color: #1f3f66; margin-top: 14px; margin-bottom: 4px; }
.practice { font-size: 15pt; font-weight: bold; color: #1f3f66; }
.muted { color: #555555; font-size: 9pt; }
.small { font-size: 8.5pt; }
.big { font-size: 22pt; font-weight: bold; color: #1f3f66; }
.label { color: #555555; }
th { background-color: #e8eef5; font-weight: bold; text-align: left;
     border-bottom-style: solid; border-bottom-width: 1px; border-bottom-color: #9aa8b8; }
td.cell { border-bottom-style: solid; border-bottom-width: 1px; border-bottom-color: #d5dce5; }
td.num, th.num { text-align: right; }
.total td { font-weight: bold; background-color: #f3f3f3; }
.note { background-color: #fff7e0; }
.disclaimer p { margin-bottom: 6px; }
"""


class RenderError(EstimatorError):
    """A document could not be rendered (no GUI application possible, or the PDF writer failed)."""


# --- Qt plumbing -------------------------------------------------------------------------------------------

def ensure_app() -> QGuiApplication:
    """The running GUI application, or a new headless one (command line).

    Raises:
        RenderError: a non-GUI ``QCoreApplication`` already runs in this process.
    """
    global _app
    existing = QGuiApplication.instance()
    if existing is not None:
        if not isinstance(existing, QGuiApplication):
            raise RenderError("documents need a GUI application, but a non-GUI Qt application is running")
        return existing
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QApplication([sys.argv[0] if sys.argv else "estimator"])
    return _app


def text_document(source: str, parent: QObject | None = None) -> QTextDocument:
    """The document as a ``QTextDocument`` with the documents' font and style sheet, for a preview widget
    or ``QTextDocument.print_`` (Qt's own pagination; ``render`` adds our footer instead)."""
    ensure_app()
    doc = QTextDocument(parent)
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(BASE_POINT_SIZE)
    doc.setDefaultFont(font)
    doc.setDefaultStyleSheet(_STYLE)
    doc.setHtml(source)
    return doc


class _MeasuredDocument(QTextDocument):
    """A document laid out at a fixed 96 dpi, so its layout and page breaks do not depend on the screen."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.measure = QImage(8, 8, QImage.Format.Format_RGB32)  # kept alive as long as the document
        self.measure.setDotsPerMeterX(round(LAYOUT_DPI / 0.0254))
        self.measure.setDotsPerMeterY(round(LAYOUT_DPI / 0.0254))
        self.documentLayout().setPaintDevice(self.measure)
        font = QFont()
        font.setFamilies(FONT_FAMILIES)
        font.setStyleHint(QFont.StyleHint.SansSerif)
        font.setPointSizeF(BASE_POINT_SIZE)
        self.setDefaultFont(font)
        self.setDocumentMargin(0)
        self.setDefaultStyleSheet(_STYLE)
        self.setHtml(source)


def _document(source: str) -> QTextDocument:
    ensure_app()
    return _MeasuredDocument(source)


def _break_before_block(block: QTextBlock) -> None:
    block_format = block.blockFormat()
    block_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
    QTextCursor(block).setBlockFormat(block_format)


def _first_line_top(block: QTextBlock) -> float:
    """Where a block's first line starts in the document (Qt may push the lines of a block that begins at
    the foot of a page to the next page, while the block itself starts on the first)."""
    layout = block.layout()
    if layout is None or layout.lineCount() == 0:
        return -1.0
    return float(layout.position().y() + layout.lineAt(0).y())


def _is_heading(block: QTextBlock) -> bool:
    return block.isValid() and block.blockFormat().headingLevel() > 0


def _move_one(doc: QTextDocument, page_height: float) -> bool:
    """Fix the first bad page break found; True when something moved (the layout then changes)."""
    layout = doc.documentLayout()

    def page(y: float) -> int:
        # Qt positions lines in 1/64 px fixed point: a line pushed to the next page may sit a hair above it.
        return int((y + 0.5) // page_height)

    for frame in doc.rootFrame().childFrames():
        if not isinstance(frame, QTextTable):
            continue
        fmt = frame.format()
        if fmt.pageBreakPolicy() & QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore:
            continue
        rect = layout.frameBoundingRect(frame)
        if rect.height() <= KEEP_TOGETHER * page_height and page(rect.top()) != page(rect.bottom() - 1):
            heading = doc.findBlock(frame.firstPosition() - 1)
            if _is_heading(heading) and \
                    not heading.blockFormat().pageBreakPolicy() & QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore:
                # The heading goes to the next page and takes its table along; breaking before the table
                # as well would leave the heading alone on a page of its own.
                _break_before_block(heading)
                return True
            fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
            frame.setFormat(fmt)
            return True
    block = doc.begin()
    while block.isValid():
        following = block.next()
        if _is_heading(block) and following.isValid() and \
                not block.blockFormat().pageBreakPolicy() & QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore:
            top = _first_line_top(block)
            after = _first_line_top(following)
            if top >= 0 and after >= 0 and page(top) != page(after):
                _break_before_block(block)  # a heading is never left alone at the foot of a page
                return True
        block = following
    return False


def _keep_together(doc: QTextDocument, page_height: float) -> None:
    """Keep small tables whole and headings with what follows them.

    A table cell split by a page break is drawn on both pages (clipped), so its text would also appear
    twice in the PDF's text layer; and a boxed note, a short list of services or a heading reads better
    unbroken.  Tables taller than ``KEEP_TOGETHER`` of a page may still break between rows.
    """
    for _ in range(100):  # each pass fixes one break; a document has only a handful
        if not _move_one(doc, page_height):
            return


def _lang_of(source: str) -> str:
    m = re.search(r"<html[^>]*\blang=\"(\w+)\"", source)
    return m.group(1) if m and m.group(1) in i18n.LANGUAGES else "en"


def render(source: str, device: QPagedPaintDevice) -> int:
    """Lay out the HTML on the device's pages and paint them all, each with a footer; returns the page count.

    Raises:
        RenderError: the device cannot be painted on.
    """
    doc = _document(source)
    title = doc.metaInformation(QTextDocument.MetaInformation.DocumentTitle)
    lang = _lang_of(source)
    painter = QPainter()
    if not painter.begin(device):
        raise RenderError("cannot paint on the PDF or printer device")
    try:
        scale = device.logicalDpiY() / LAYOUT_DPI
        width = device.width() / scale
        height = device.height() / scale - FOOTER_GAP_PX
        doc.setPageSize(QSizeF(width, height))
        _keep_together(doc, height)
        pages = doc.pageCount()
        footer_font = QFont(doc.defaultFont())
        footer_font.setPixelSize(round(8 * LAYOUT_DPI / 72))  # 8 pt in layout pixels (the painter is scaled)
        for page in range(pages):
            if page:
                device.newPage()
            painter.save()
            painter.scale(scale, scale)
            painter.translate(0, -page * height)
            # One pixel short of the page end: a line moved to the next page starts exactly there, and
            # clipped text would still land (invisibly) in the PDF and in its extracted text.
            doc.drawContents(painter, QRectF(0, page * height, width, height - 1))
            painter.restore()
            painter.save()
            painter.scale(scale, scale)
            painter.setFont(footer_font)
            painter.setPen(Qt.GlobalColor.darkGray)
            footer = i18n.text(lang, "page_of", page=page + 1, pages=pages)
            if title:
                footer = f"{title}  \u2014  {footer}"
            painter.drawText(QRectF(0, height + 8, width, FOOTER_GAP_PX - 8),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), footer)
            painter.restore()
    finally:
        painter.end()
    return pages


def _pdf_writer(target: QIODevice, title: str) -> QPdfWriter:
    writer = QPdfWriter(target)
    writer.setResolution(PDF_DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter), QPageLayout.Orientation.Portrait,
                                     PAGE_MARGINS_INCH, QPageLayout.Unit.Inch))
    writer.setTitle(title)
    writer.setCreator("estimator")
    return writer


def html_to_pdf_bytes(source: str) -> bytes:
    """The document as PDF bytes (US Letter), rendered in memory.

    Raises:
        RenderError: rendering failed.
    """
    ensure_app()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    title = re.search(r"<title>(.*?)</title>", source, re.S)
    writer = _pdf_writer(buffer, html.unescape(title.group(1)) if title else "")
    render(source, writer)
    del writer  # the PDF is finished when the writer goes away
    buffer.close()
    pdf = bytes(data.data())
    if not pdf.startswith(b"%PDF"):
        raise RenderError("the PDF writer produced no document")
    return pdf


def html_to_pdf(source: str, path: Path | str) -> bytes:
    """Render the document and write the PDF to ``path`` atomically; returns the bytes written."""
    pdf = html_to_pdf_bytes(source)
    write_bytes_atomically(path, pdf)
    return pdf


def print_html(source: str, printer: QPagedPaintDevice) -> int:
    """Print the document on a printer the user chose (``QPrinter`` from ``QPrintDialog``); returns pages."""
    return render(source, printer)


# --- HTML helpers ------------------------------------------------------------------------------------------

def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(lang: str, title: str, body: Iterable[str]) -> str:
    return (f'<html lang="{_e(lang)}"><head><meta charset="utf-8"><title>{_e(title)}</title></head><body>'
            + "".join(body) + "</body></html>")


def _header(practice_name: str, address: str, npi: str, tin: str, lang: str) -> str:
    ids = []
    if npi:
        ids.append(f"{i18n.text(lang, 'npi')} {_e(npi)}")
    if tin:
        ids.append(f"{i18n.text(lang, 'tin')} {_e(tin)}")
    return ('<table width="100%" cellspacing="0" cellpadding="0" style="margin-bottom: 6px;"><tr><td>'
            f'<div class="practice">{_e(practice_name) or "&nbsp;"}</div>'
            f'<div class="muted">{_e(address)}</div>'
            f'<div class="muted">{" &nbsp;&middot;&nbsp; ".join(ids)}</div>'
            '</td></tr></table><hr/>')


def _facts(items: Sequence[tuple[str, str] | tuple[str, str, bool]]) -> str:
    """Label / value pairs two to a row in a borderless table; an item ``(label, value, True)`` takes a whole
    row.  Values are already escaped."""
    rows: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            rows.append("<tr>" + "".join(pending) + ("<td></td><td></td>" if len(pending) == 1 else "") + "</tr>")
            pending.clear()

    for item in items:
        label, value = item[0], item[1]
        if len(item) > 2 and item[2]:
            flush()
            rows.append(f'<tr><td class="label" width="23%">{_e(label)}</td><td colspan="3"><b>{value}</b></td></tr>')
            continue
        pending.append(f'<td class="label" width="23%">{_e(label)}</td><td width="27%"><b>{value}</b></td>')
        if len(pending) == 2:
            flush()
    flush()
    return '<table width="100%" cellspacing="0" cellpadding="3">' + "".join(rows) + "</table>"


def _grid(headers: Sequence[tuple[str, bool]], rows: Sequence[Sequence[str]], total: Sequence[str] | None,
          wide: int = 0, wide_pct: int = 40) -> str:
    """A ruled table: ``headers`` as (text, numeric); cells already escaped; an optional bold total row.
    Column ``wide`` (the service description) gets ``wide_pct`` of the width."""
    num_attr = ' class="num"'
    width_attr = f' width="{wide_pct}%"'
    head = "".join(f"<th{num_attr if num else ''}{width_attr if i == wide else ''}>{_e(h)}</th>"
                   for i, (h, num) in enumerate(headers))
    cell_attr = (' class="cell num"', ' class="cell"')
    numeric = [num for _, num in headers]

    def row(cells: Sequence[str], css: str = "") -> str:
        tds = "".join(f"<td{cell_attr[0] if numeric[i] else cell_attr[1]}>{c}</td>" for i, c in enumerate(cells))
        row_attr = f' class="{css}"' if css else ""
        return f"<tr{row_attr}>{tds}</tr>"

    body = "".join(row(r) for r in rows) + (row(total, "total") if total is not None else "")
    return ('<table width="100%" cellspacing="0" cellpadding="4" border="0" style="border-collapse: collapse;">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _code_cell(code: str, modifiers: Sequence[str]) -> str:
    return _e(code + ("-" + "-".join(modifiers) if modifiers else ""))


# --- the patient estimate ----------------------------------------------------------------------------------

def _provisional_box(year: int, for_year: int, lang: str) -> str:
    """The line a document carries when its amounts use Medicare rates standing in for a later year."""
    line = i18n.text(lang, "provisional_rates", year=year, next=for_year)
    return ('<table width="100%" cellspacing="0" cellpadding="6" style="margin-top: 6px;"><tr>'
            f'<td style="background-color: #fff4d6;"><b>{_e(line)}</b></td></tr></table>')


def patient_estimate_html(estimate: Estimate, practice: Practice, patient: Patient | None = None,
                          lang: str = "en", issued_on: dt.date | None = None) -> str:
    """The estimate for an insured patient: services, allowed, insurance pays, patient owes and why.

    Args:
        estimate: the core estimate (amounts are shown exactly as computed there).
        practice: the practice header.
        patient: name and date of birth, when known (left blank otherwise).
        lang: ``en`` or ``es``.
        issued_on: the date printed on the estimate (default: today).

    Raises:
        InputError: an unknown language.
    """
    lang = i18n.check_lang(lang)
    t = functools.partial(i18n.text, lang)
    patient = patient or Patient()
    claim = estimate.claim
    self_pay = estimate.payer.method is Method.SELF_PAY
    body = [_header(practice.name, practice.address, practice.npi, practice.tin, lang),
            f"<h1>{_e(t('pe_title'))}</h1>", f'<p class="muted">{_e(t("pe_intro"))}</p>',
            _facts([
                (t("patient"), _e(patient.name) or "&nbsp;"),
                (t("date_of_birth"), _e(i18n.long_date(patient.dob, lang)) or "&nbsp;"),
                (t("date_of_service"), _e(i18n.long_date(claim.encounter.date_of_service, lang))),
                (t("insurance_plan"), _e(estimate.payer.name)),
                (t("issued_on"), _e(i18n.long_date(issued_on or dt.date.today(), lang))),
                (t("allowed_total"), _e(i18n.money(estimate.allowed_cents))),
            ])]
    def amount(cents: int) -> str:  # the payer/patient split, unknown without the plan's benefits
        return i18n.money(cents) if estimate.patient_known else t("unknown_share")

    summary = [(t("insurance_pays"), amount(estimate.payer_cents))]
    if estimate.secondary_cents:
        summary.append((t("secondary_pays"), i18n.money(estimate.secondary_cents)))
    side = "".join(f'<tr><td class="label">{_e(k)}</td><td class="num"><b>{_e(v)}</b></td></tr>'
                   for k, v in summary)
    body.append(
        '<table width="100%" cellspacing="0" cellpadding="8" style="margin-top: 8px; margin-bottom: 4px;">'
        '<tr><td width="55%" style="background-color: #e8eef5;">'
        f'<div>{_e(t("you_owe"))}</div><div class="big">{_e(amount(estimate.patient_cents))}</div></td>'
        f'<td width="45%"><table width="100%" cellspacing="0" cellpadding="3">{side}</table></td></tr></table>')
    rows = [[_code_cell(ln.allowed.line.code, ln.allowed.line.modifiers),
             _e(i18n.service_label(ln.allowed.line.code, ln.allowed.line.label, lang)),
             _e(ln.allowed.line.units), _e(i18n.money(ln.allowed_cents)), _e(amount(ln.payer_cents)),
             _e(amount(ln.patient_cents))] for ln in estimate.lines]
    body.append(f"<h2>{_e(t('services_heading'))}</h2>")
    body.append(_grid([(t("code"), False), (t("service"), False), (t("units"), True), (t("col_allowed"), True),
                       (t("col_insurance"), True), (t("col_you_owe"), True)], rows,
                      ["", _e(t("total")), "", _e(i18n.money(estimate.allowed_cents)),
                       _e(amount(estimate.payer_cents)), _e(amount(estimate.patient_cents))],
                      wide=1, wide_pct=38))
    if (stand_in := estimate.provisional) is not None:
        body.append(_provisional_box(stand_in.year, stand_in.for_year, lang))
    body.append(f"<h2>{_e(t('why_heading'))}</h2><ul>")
    why = []
    if self_pay:
        why.append(t("why_self_pay"))
    elif not estimate.patient_known:
        why.append(t("why_unknown"))
    else:
        for key, attr in (("why_deductible", "deductible_cents"), ("why_coinsurance", "coinsurance_cents"),
                          ("why_copay", "copay_cents")):
            why.append(t(key, amount=i18n.money(estimate.total(attr))))
        if estimate.secondary_cents:
            why.append(t("why_secondary", amount=i18n.money(estimate.secondary_cents)))
        if estimate.patient_cents == 0:
            why.append(t("why_nothing"))
    if estimate.sequestration_cents:
        why.append(t("sequestration_note", amount=i18n.money(estimate.sequestration_cents)))
    if estimate.limiting_charge_cents is not None:
        why.append(t("limiting_note", amount=i18n.money(estimate.limiting_charge_cents)))
    if estimate.unassigned:
        why.append(t("reimbursed_note", amount=i18n.money(estimate.reimbursed_cents),
                     net=i18n.money(estimate.net_patient_cents)))
    body.extend(f"<li>{_e(w)}</li>" for w in why)
    body.append(f"</ul><h2>{_e(t('assumptions_heading'))}</h2><ul>")
    # The provisional assumption speaks to the practice (how to import); the patient reads _provisional_box.
    body.extend(f'<li class="small">{_e(i18n.assumption(a, lang))}</li>' for a in estimate.assumptions
                if not a.startswith("Provisional: "))
    documented = claim.encounter.documented  # the documentation checklist, when it was filled in
    if documented:
        items = ", ".join(t(f"doc_{key}") for key in cs.DOCUMENTATION_ELEMENTS if key in documented)
        body.append(f'<li class="small">{_e(t("documented", items=items))}</li>')
    body.append("</ul>")
    body.append('<table width="100%" cellspacing="0" cellpadding="8" style="margin-top: 10px;">'
                f'<tr><td class="note"><b>{_e(t("not_guarantee"))}</b></td></tr></table>')
    return _page(lang, t("pe_title"), body)


# --- the Good Faith Estimate -------------------------------------------------------------------------------

def primary_description(gfe: GoodFaithEstimate, lang: str) -> str:
    """The primary service in plain language (the user's own text when given)."""
    if gfe.primary_text:
        return gfe.primary_text
    if gfe.lesions and gfe.primary_code in ("17000", "17003", "17004"):
        return i18n.text(lang, "lesions_one") if gfe.lesions == 1 else i18n.text(lang, "lesions_many", n=gfe.lesions)
    return i18n.service_label(gfe.primary_code, gfe.primary_label, lang)


def due_text(gfe: GoodFaithEstimate, lang: str) -> str:
    """When the estimate must be provided, and under which branch of the rule."""
    due = gfe.due
    start = i18n.long_date(due.start, lang)
    if due.timing is GfeTiming.NOT_REQUIRED:
        return i18n.text(lang, "due_not_required", start=start)
    return i18n.text(lang, f"due_{due.timing.value}", date=i18n.long_date(due.due, lang), start=start)


def gfe_html(gfe: GoodFaithEstimate, lang: str = "en") -> str:
    """The Good Faith Estimate with every element 45 CFR 149.610(c) requires and the four disclaimers.

    Raises:
        InputError: an unknown language.
    """
    lang = i18n.check_lang(lang)
    t = functools.partial(i18n.text, lang)
    convening = gfe.providers[0].provider if gfe.providers else None
    body = []
    if convening is not None:
        body.append(_header(convening.name, convening.address, convening.npi, convening.tin, lang))
    body.append(f"<h1>{_e(t('gfe_title'))}</h1>")
    body.append(f'<p class="muted">{_e(t("gfe_subtitle"))}</p>')
    body.append(f'<p class="small">{_e(t("gfe_intro"))}</p>')
    service = (_e(i18n.long_date(gfe.service_date, lang)) if gfe.service_date
               else _e(t("not_scheduled")))
    when = [(t("scheduled_date"), service)]
    if gfe.due.timing is GfeTiming.REQUESTED:
        when.append((t("requested_on"), _e(i18n.long_date(gfe.due.start, lang))))
    body.append(_facts([
        (t("patient_name"), _e(gfe.patient.name)),
        (t("date_of_birth"), _e(i18n.long_date(gfe.patient.dob, lang))),
        (t("primary_service"), _e(primary_description(gfe, lang)), True),
        *when,
        (t("issued_on"), _e(i18n.long_date(gfe.issued_on, lang))),
        (t("gfe_total"), _e(i18n.money(gfe.total_cents))),
    ]))
    body.append('<table width="100%" cellspacing="0" cellpadding="6" style="margin-top: 4px;"><tr>'
                f'<td style="background-color: #e8eef5;"><span class="label">{_e(t("due_by"))}:</span> '
                f"<b>{_e(due_text(gfe, lang))}</b></td></tr></table>")
    if gfe.rates_for_year > gfe.rates_year > 0:
        body.append(_provisional_box(gfe.rates_year, gfe.rates_for_year, lang))
    for part in gfe.providers:
        p = part.provider
        role = t("convening_provider") if p.convening else t("co_provider")
        body.append(f"<h2>{_e(t('provider_heading'))}: {_e(p.name)} "
                    f'<span style="font-size: 9pt; font-weight: normal; color: #555555;">({_e(role)})</span></h2>')
        body.append(_facts([
            (t("provider_name"), _e(p.name)), (t("npi"), _e(p.npi)),
            (t("tin"), _e(p.tin)), (t("state"), _e(p.state)),
            (t("place_of_service"), _e(i18n.place_name(part.place, lang))),
            (t("location"), _e(p.address), True),
        ]))
        body.append(f"<h2>{_e(t('items_heading'))}</h2>")
        rows = [[_e(i18n.service_label(i.code, i.label, lang)), _code_cell(i.code, i.modifiers),
                 _e(", ".join(i.diagnoses)), _e(i.units), _e(i18n.money(i.charge_cents))] for i in part.items]
        body.append(_grid([(t("service"), False), (t("service_code"), False), (t("diagnosis_codes"), False),
                           (t("units"), True), (t("expected_charge"), True)], rows,
                          [_e(t("provider_total", name=p.name)), "", "", "", _e(i18n.money(part.total_cents))],
                          wide=0, wide_pct=42))
    if len(gfe.providers) > 1:
        body.append(f'<p><b>{_e(t("gfe_total"))}: {_e(i18n.money(gfe.total_cents))}</b></p>')
    threshold = gfe.providers[0].total_cents + DISPUTE_THRESHOLD_CENTS if gfe.providers else DISPUTE_THRESHOLD_CENTS
    body.append(f'<p class="small">{_e(t("dispute_threshold", amount=i18n.money(threshold)))}</p>')
    body.append(f"<h2>{_e(t('separately_heading'))}</h2>")
    if gfe.separately:
        body.append("<ul>" + "".join(f"<li>{_e(s)}</li>" for s in gfe.separately) + "</ul>")
    else:
        body.append(f"<p>{_e(t('separately_none'))}</p>")
    body.append(f'<p class="small">{_e(t("separately_note"))}</p>')
    body.append(f"<h2>{_e(t('disclaimer_heading'))}</h2>")
    paragraphs = [t("disclaimer_estimate"), t("disclaimer_not_included"), t("disclaimer_dispute"),
                  t("disclaimer_how", url=NOSURPRISES_URL, phone=NOSURPRISES_PHONE), t("disclaimer_contract")]
    body.append('<div class="disclaimer">' + "".join(f'<p class="small">{_e(p)}</p>' for p in paragraphs)
                + "</div>")
    if convening is not None and convening.name:
        body.append(f'<p class="muted">{_e(t("questions", name=convening.name))}</p>')
    return _page(lang, t("gfe_title"), body)
