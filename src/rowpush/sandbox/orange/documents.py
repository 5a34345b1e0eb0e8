"""The bytes of billing documents: XLSX bills, CSV rated reports, PDF invoices.

Shapes follow public scripts that parse the real files: a bill is a workbook with a
"Billing Report" sheet whose first 13 rows are preamble and headers; a rated report is
``;``-separated CSV with a decimal comma, one header line and 27 columns. Invoices (PDF)
are assumed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from rowpush.sandbox.orange import pdf, xlsx

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
ZIP_MEDIA_TYPE = "application/zip"
BILL_SHEET = "Billing Report"
BILL_HEADER_ROW = 13
BILL_COLUMNS = (
    "Reference",
    "Region",
    "Service",
    "Category",
    "Sub-category",
    "Quantity",
    "Unit",
    "Unit price",
    "Amount",
    "Discounted amount",
)
REPORT_COLUMNS = (
    "Billing mode", "Begin date", "End date", "Service id", "Tenant label", "Country", "Region",
    "Service", "Code label", "Charge label", "Resource id", "Project", "Tags", "Quantity",
    "Billing unit", "Unit price", "Amount", "Volume discount", "Discounted amount", "Currency",
    "Subscription charge type", "Subscription begin date", "Subscription end date",
    "Subscription upfront", "Subscription upfront discounted", "Subscription flavor",
    "Subscription duration",
)  # fmt: skip


@dataclass(frozen=True)
class ChargeLine:
    """One billed charge of a contract for a month."""

    reference: str
    region: str
    service: str
    category: str
    sub_category: str
    quantity: float
    unit: str
    unit_price: float
    discount: float
    """Volume discount rate, 0-1."""
    resource_id: str
    project: str

    @property
    def amount(self) -> float:
        return round(self.quantity * self.unit_price, 2)

    @property
    def discounted_amount(self) -> float:
        return round(self.amount * (1 - self.discount), 2)


@dataclass(frozen=True)
class Billing:
    """What a document describes: a contract's charges for one month."""

    contract_id: str
    customer: str
    tenant: str
    period: str
    """``YYYYMM``."""
    lines: tuple[ChargeLine, ...]
    currency: str = "EUR"

    @property
    def total(self) -> float:
        return round(sum(line.amount for line in self.lines), 2)

    @property
    def discounted_total(self) -> float:
        return round(sum(line.discounted_amount for line in self.lines), 2)

    @property
    def month(self) -> str:
        """``YYYY-MM``."""
        return f"{self.period[:4]}-{self.period[4:]}"


def bill_xlsx(billing: Billing) -> bytes:
    """The monthly bill workbook: 12 preamble rows, headers on row 13, then one row a line."""
    preamble: list[list[xlsx.Cell]] = [
        ["Orange Business - Flexible Engine"],
        [BILL_SHEET],
        [],
        ["Contract", billing.contract_id],
        ["Customer", billing.customer],
        ["Tenant", billing.tenant],
        ["Period", billing.month],
        ["Currency", billing.currency],
        ["Total amount (excl. VAT)", billing.total],
        ["Total discounted amount (excl. VAT)", billing.discounted_total],
        [],
        ["Amounts are expressed excluding taxes."],
    ]
    rows: list[list[xlsx.Cell]] = [*preamble, list(BILL_COLUMNS)]
    rows += [
        [
            line.reference,
            line.region,
            line.service,
            line.category,
            line.sub_category,
            line.quantity,
            line.unit,
            line.unit_price,
            line.amount,
            line.discounted_amount,
        ]
        for line in billing.lines
    ]
    assert len(preamble) + 1 == BILL_HEADER_ROW
    return xlsx.xlsx_bytes(BILL_SHEET, rows)


def rated_report_csv(billing: Billing, begin: str, end: str) -> bytes:
    """The consumption rated report: ``;``-separated, decimal comma, 27 columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for line in billing.lines:
        writer.writerow(
            [
                "PAYG", begin, end, line.reference, billing.tenant, "FR", line.region,
                line.service, line.sub_category, line.category, line.resource_id, line.project,
                "", _comma(line.quantity), line.unit, _comma(line.unit_price, 4),
                _comma(line.amount), _comma(line.discount * 100), _comma(line.discounted_amount),
                billing.currency, "", "", "", "", "", "", "",
            ]
        )  # fmt: skip
    return buffer.getvalue().encode("utf-8")


def invoice_pdf(billing: Billing, invoice_number: str, issued: str) -> bytes:
    """A one-page invoice summary."""
    lines = [
        "Orange Business - Invoice",
        "",
        f"Invoice number: {invoice_number}",
        f"Issued: {issued}",
        f"Contract: {billing.contract_id}",
        f"Customer: {billing.customer}",
        f"Period: {billing.month}",
        "",
        *(f"{line.service} - {line.sub_category}: {line.amount:.2f}" for line in billing.lines),
        "",
        f"Total excl. VAT: {billing.discounted_total:.2f} {billing.currency}",
    ]
    return pdf.pdf_bytes(f"Invoice {invoice_number}", lines)


def _comma(value: float, places: int = 2) -> str:
    return f"{value:.{places}f}".replace(".", ",")
