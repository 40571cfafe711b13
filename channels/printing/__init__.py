"""Printed documents (issue 15 item 5): one PDF and one XLSX renderer for every roster, notice and ledger.

A caller describes the document (:class:`PrintedDocument` with its :class:`PrintColumn`s) and streams its rows;
:func:`print_response` audits the print and answers with the file. Personal data is masked by the caller, as in its
list.
"""

from channels.printing.document import PrintColumn, PrintedDocument, PrintFormat
from channels.printing.pdf import FontMissing, register_font, render_pdf
from channels.printing.response import (
    AUDIT_ACTION,
    PDF_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    attachment_headers,
    print_response,
    print_responses,
)
from channels.printing.threads import configure as configure_concurrency
from channels.printing.xlsx import render_xlsx

__all__ = [
    "AUDIT_ACTION",
    "PDF_MEDIA_TYPE",
    "XLSX_MEDIA_TYPE",
    "FontMissing",
    "PrintColumn",
    "PrintFormat",
    "PrintedDocument",
    "attachment_headers",
    "configure_concurrency",
    "print_response",
    "print_responses",
    "register_font",
    "render_pdf",
    "render_xlsx",
]
