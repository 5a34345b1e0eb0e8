"""Orange: billing documents of a contract, their metadata and their real file bytes."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import httpx
import openpyxl
import pytest
from sandbox_orange_client import first_contract, gateway_error, orange_client, settings

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.orange.options import OrangeOptions
from rowpush.sandbox.orange.seed import StoredDocument
from rowpush.sandbox.server import SandboxServer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def documents(
    server: SandboxServer, contract: str | None = None, **params: object
) -> httpx.Response:
    with orange_client(server, contract=contract or first_contract(server)) as orange:
        return orange.get("/documents", params=params)


def download(server: SandboxServer, doc_id: str, **params: object) -> httpx.Response:
    with orange_client(server, contract=first_contract(server)) as orange:
        return orange.get(f"/documents/{doc_id}/file", params=params)


def latest(server: SandboxServer, doc_type: str) -> dict[str, str]:
    found: list[dict[str, str]] = documents(server, documentType=doc_type, limit=1).json()
    assert len(found) == 1
    return found[0]


def test_documents_are_listed_newest_first(server: SandboxServer) -> None:
    response = documents(server)
    assert response.status_code == 200
    docs = response.json()
    assert len(docs) == 7
    assert [d["createdAt"] for d in docs] == sorted((d["createdAt"] for d in docs), reverse=True)
    for doc in docs:
        assert set(doc) == {"id", "filename", "period", "documentType", "createdAt"}
        assert re.fullmatch(r"20\d{4}", doc["period"])
        assert first_contract(server) in doc["filename"]
    assert sorted({d["documentType"] for d in docs}) == [
        "bills",
        "comsumptionRatedReports",
        "invoices",
        "partialConsumptionRatedReports",
    ]
    other = list(server.state.orange.contracts)[1]
    assert not {d["id"] for d in docs} & {d["id"] for d in documents(server, other).json()}


def test_document_type_and_limit_filter_the_list(server: SandboxServer) -> None:
    bills = documents(server, documentType="bills").json()
    assert [b["period"] for b in bills] == ["202412", "202411"]
    assert all(b["filename"].endswith(".xlsx") for b in bills)
    assert documents(server, documentType="bills", limit=1).json() == bills[:1]
    assert len(documents(server, limit=3).json()) == 3
    assert len(documents(server, documentType="").json()) == 7
    # Seen in public scripts: an unknown type answers an object, not an array.
    assert documents(server, documentType="all").json() == {"documents": None}
    # The vendor's spelling works; the dictionary one does not.
    assert len(documents(server, documentType="comsumptionRatedReports").json()) == 2
    assert documents(server, documentType="consumptionRatedReports").json() == {"documents": None}


def _more_bills(server: SandboxServer, count: int) -> None:
    """Adds ``count`` older bills to the first contract (it has 7 documents seeded)."""
    cid = first_contract(server)
    for n in range(count):
        meta = {
            "id": f"DOC-OLD-{n}",
            "filename": f"bill_{cid}_2020{n % 12 + 1:02d}.xlsx",
            "period": f"2020{n % 12 + 1:02d}",
            "documentType": "bills",
            "createdAt": f"2020-01-{n + 1:02d}T02:00:00Z",
        }
        server.state.orange.documents[meta["id"]] = StoredDocument(cid, meta, b"old", XLSX)


def test_without_limit_the_list_stops_at_ten_as_the_real_one_appears_to(
    server: SandboxServer,
) -> None:
    _more_bills(server, 8)
    everything = documents(server, limit=100).json()
    assert len(everything) == 15
    assert documents(server).json() == everything[:10]  # newest first, cut at 10
    assert documents(server, limit=15).json() == everything
    assert len(documents(server, documentType="bills").json()) == 10
    assert len(documents(server, documentType="bills", limit=11).json()) == 10  # all bills
    settings(server).documents_default_limit = None
    assert documents(server).json() == everything


@pytest.mark.parametrize("limit", ["0", "-1", "two", "1.5"])
def test_a_bad_limit_is_a_400_code_28(server: SandboxServer, limit: str) -> None:
    assert "limit" in gateway_error(documents(server, limit=limit), 400, 28)


def test_document_metadata_is_read_within_its_contract(server: SandboxServer) -> None:
    bill = latest(server, "bills")
    cid = first_contract(server)
    with orange_client(server, contract=cid) as orange:
        assert orange.get(f"/documents/{bill['id']}").json() == bill
        gateway_error(orange.get("/documents/DOC-1"), 404, 60)
    other = list(server.state.orange.contracts)[1]
    with orange_client(server, contract=other) as orange:
        gateway_error(orange.get(f"/documents/{bill['id']}"), 404, 60)
        gateway_error(orange.get(f"/documents/{bill['id']}/file"), 404, 60)


def test_a_bill_downloads_as_a_real_workbook(server: SandboxServer) -> None:
    bill = latest(server, "bills")
    response = download(server, bill["id"])
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == f'attachment; filename="{bill["filename"]}"'
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["Billing Report"]
    rows = list(book["Billing Report"].iter_rows(values_only=True))
    book.close()
    assert rows[12][:3] == ("Reference", "Region", "Service")  # 13 rows of preamble/headers
    lines = rows[13:]
    assert 6 <= len(lines) <= 9
    assert all(isinstance(line[8], float | int) for line in lines)
    total = next(r for r in rows if r[0] == "Total amount (excl. VAT)")[1]
    assert total == pytest.approx(sum(line[8] for line in lines))
    assert ("Contract", first_contract(server)) == rows[3][:2]


def test_an_invoice_downloads_as_a_valid_pdf(server: SandboxServer) -> None:
    invoice = latest(server, "invoices")
    response = download(server, invoice["id"])
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.rstrip().endswith(b"%%EOF")
    startxref = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[startxref:].startswith(b"xref")
    entries = pdf[startxref:].split(b"\n")[3:9]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry.split()[0])
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    assert first_contract(server).encode() in pdf


def test_a_rated_report_is_semicolon_csv_and_can_come_zipped(server: SandboxServer) -> None:
    report = latest(server, "comsumptionRatedReports")
    plain = download(server, report["id"])
    assert plain.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(plain.text), delimiter=";"))
    assert len(rows[0]) == 27
    assert rows[0][:3] == ["Billing mode", "Begin date", "End date"]
    assert all(len(row) == 27 for row in rows[1:])
    assert all(re.fullmatch(r"\d+,\d{2}", row[16]) for row in rows[1:])  # decimal comma

    zipped = download(server, report["id"], zipped=1)
    assert zipped.headers["content-type"] == "application/zip"
    assert f'filename="{report["filename"]}.zip"' in zipped.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert archive.namelist() == [report["filename"]]
        assert archive.read(report["filename"]) == plain.content
    assert download(server, report["id"], zipped=0).content == plain.content
    gateway_error(download(server, report["id"], zipped="yes"), 400, 28)


def test_zipping_other_documents_can_be_limited_to_what_was_seen(server: SandboxServer) -> None:
    bill = latest(server, "bills")
    assert download(server, bill["id"], zipped=1).headers["content-type"] == "application/zip"
    settings(server).zip_any_document = False
    assert download(server, bill["id"], zipped=1).headers["content-type"] == XLSX


def test_downloads_can_redirect_to_a_one_shot_url(server: SandboxServer) -> None:
    bill = latest(server, "bills")
    direct = download(server, bill["id"]).content
    settings(server).redirect_downloads = True
    redirect = download(server, bill["id"])
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    assert location.startswith(f"{server.url}/orange/storage/")
    fetched = httpx.get(location)  # storage links need no credentials
    assert fetched.content == direct
    assert fetched.headers["content-type"] == XLSX
    gateway_error(httpx.get(location), 404, 60)


@pytest.mark.parametrize(
    "options", [SandboxOptions(apis={"orange": OrangeOptions(invoices=False)})]
)
def test_invoices_can_be_switched_off(server: SandboxServer) -> None:
    assert len(documents(server).json()) == 5
    assert documents(server, documentType="invoices").json() == {"documents": None}


def test_document_bytes_repeat_for_a_seed(server: SandboxServer) -> None:
    before = {d.id: d.content for d in server.state.orange.documents.values()}
    server.state.reset()
    assert {d.id: d.content for d in server.state.orange.documents.values()} == before
