"""Deterministic demo data for the Orange emulation: contracts, their users and documents.

Everything comes from ``random.Random`` seeded with ``SandboxOptions.seed``: the same seed
gives the same contracts, users and document bytes. Each contract has 8-12 users and seven
documents: bills (XLSX), consumption rated reports (CSV) and invoices (PDF) for November
and December 2024, plus a partial report for January 2025.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rowpush.sandbox.orange import pdf, xlsx
from rowpush.sandbox.orange.documents import (
    CSV_MEDIA_TYPE,
    Billing,
    ChargeLine,
    bill_xlsx,
    invoice_pdf,
    rated_report_csv,
)

BILLED_PERIODS = ("202411", "202412")
PARTIAL_PERIOD = "202501"
PARTIAL_CREATED = "2025-01-15T01:00:00Z"
REGION = "eu-west-0"
OFFERS = {
    "FE-PAYG": ("Flexible Engine", "PAYG"),
    "FE-RESERVED": ("Flexible Engine", "RESERVED"),
    "CA-PAYG": ("Cloud Avenue", "PAYG"),
}
"""offerCode -> (offer name, contractType). Assumed codes; the guide shows FE-PAYG."""
CUSTOMERS = (
    ("Acme SA", "acme", "acme.example"),
    ("Boulangerie Martin SARL", "martin", "boulangerie-martin.example"),
    ("Transports Lefèvre", "lefevre", "transports-lefevre.example"),
    ("Clinique Saint-Roch", "stroch", "clinique-saint-roch.example"),
    ("Atelier Dubois & Fils", "dubois", "atelier-dubois.example"),
)
ENVIRONMENTS = ("prod", "dev", "analytics", "recette", "dr")
MALE_NAMES = ("Jean", "Pierre", "Luc", "Thomas", "Nicolas", "Hugo", "Élie", "François", "Karim")
FEMALE_NAMES = ("Marie", "Hélène", "Camille", "Sophie", "Chloé", "Anne-Laure", "Inès", "Léa")
LAST_NAMES = (
    "Durand", "Lefèvre", "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Simon", "Michel",
    "Garcia", "Roux", "Fournier", "N'Diaye", "de La Tour", "Müller", "Nguyen", "Da Silva",
)  # fmt: skip
CATALOGUE = (
    ("Elastic Cloud Server", "Compute", "s3.large.2", "hour", 0.0842, 200, 744),
    ("Elastic Cloud Server", "Compute", "c6.xlarge.2", "hour", 0.1932, 100, 744),
    ("Elastic Volume Service", "Storage", "SSD", "GB-month", 0.119, 50, 2000),
    ("Elastic Volume Service", "Storage", "SATA", "GB-month", 0.045, 100, 4000),
    ("Object Storage Service", "Storage", "Standard", "GB-month", 0.022, 100, 20000),
    ("Elastic IP", "Network", "Bandwidth", "Mbit/s-month", 7.5, 1, 20),
    ("NAT Gateway", "Network", "Small", "hour", 0.051, 744, 744),
    ("Relational Database Service", "Database", "rds.pg.c2.large", "hour", 0.215, 300, 744),
    ("Cloud Container Engine", "Container", "cluster-50-nodes", "hour", 0.12, 744, 744),
    ("Volume Backup Service", "Storage", "Backup", "GB-month", 0.05, 100, 3000),
)


@dataclass
class StoredDocument:
    """A billing document: what ``GET /documents`` shows and the file behind it."""

    contract_id: str
    meta: dict[str, Any]
    """``{"id", "filename", "period", "documentType", "createdAt"}``."""
    content: bytes
    media_type: str

    @property
    def id(self) -> str:
        doc_id: str = self.meta["id"]
        return doc_id


@dataclass
class OrangeData:
    """The seeded records, by contract id."""

    contracts: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    documents: dict[str, StoredDocument] = field(default_factory=dict)


def contract_ids(seed: int, count: int) -> list[str]:
    """The seeded contract ids, in order (the connection's ``contract_id`` is the first)."""
    rng = random.Random(f"{seed}:orange:contracts")
    return [f"CT-{n:06d}" for n in sorted(rng.sample(range(100, 999_999), count))]


def seed_orange(seed: int, count: int, *, invoices: bool) -> OrangeData:
    """Contracts with users and documents; ``invoices`` adds the (assumed) PDF invoices."""
    rng = random.Random(f"{seed}:orange")
    data = OrangeData()
    logins: set[str] = set()
    user_ids = _gapped(rng, 3001)
    doc_ids = _gapped(rng, 8801)
    names: set[str] = set()
    for contract_id in contract_ids(seed, count):
        customer, slug, domain = rng.choice(CUSTOMERS)
        free = [e for e in ENVIRONMENTS if f"{slug}-{e}" not in names]
        name = f"{slug}-{rng.choice(free)}"
        names.add(name)
        users = [_user(rng, next(user_ids), domain, logins) for _ in range(rng.randint(8, 12))]
        contact = users[0]
        offer, contract_type = OFFERS[rng.choice(list(OFFERS))]
        created = dt.datetime(2022, 1, 3, 8, 15, tzinfo=dt.UTC) + dt.timedelta(
            days=rng.randint(0, 900), minutes=rng.randint(0, 600)
        )
        updated = created + dt.timedelta(days=rng.randint(30, 700), hours=rng.randint(0, 20))
        record: dict[str, Any] = {"id": contract_id, "name": name, "contractType": contract_type}
        if rng.random() < 0.7:
            record["platformId"] = f"{rng.getrandbits(48):012x}"
        record |= {
            "customer": {"id": f"CU-{rng.randint(100, 999)}", "name": customer},
            "offer": {"name": offer},
            "contact": {k: contact[k] for k in ("firstName", "lastName", "email")},
            "createdAt": _iso(created),
            "updatedAt": _iso(min(updated, dt.datetime(2025, 1, 3, 11, tzinfo=dt.UTC))),
        }
        data.contracts[contract_id] = record
        data.users[contract_id] = users
        for doc in _documents(rng, record, doc_ids, invoices=invoices):
            data.documents[doc.id] = doc
    return data


def _gapped(rng: random.Random, start: int) -> Iterator[int]:
    """Increasing ids with gaps of 1-7, so a row number is never mistaken for an id."""
    current = start
    while True:
        yield current
        current += rng.randint(1, 7)


def _user(rng: random.Random, number: int, domain: str, logins: set[str]) -> dict[str, Any]:
    civility = rng.choice(("MR", "MRS", "MS"))
    first = rng.choice(MALE_NAMES if civility == "MR" else FEMALE_NAMES)
    last = rng.choice(LAST_NAMES)
    base = _ascii(first[0] + last)
    login = base
    for suffix in itertools.count(2):
        if login not in logins:
            break
        login = f"{base}{suffix}"
    logins.add(login)
    email = f"{_ascii(first, keep='-')}.{_ascii(last, keep='-')}@{domain}"
    roll = rng.random()
    return {
        "id": f"USR-{number}",
        "civility": civility,
        "lastName": last,
        "firstName": first,
        "email": email,
        "login": login,
        "fixPhone": None if rng.random() < 0.3 else _phone(rng, rng.choice("12345")),
        "mobilePhone": None if rng.random() < 0.2 else _phone(rng, rng.choice("67")),
        "status": "PENDING_ACTIVATION" if roll < 0.12 else "LOCKED" if roll < 0.17 else "ACTIVE",
    }


def _documents(
    rng: random.Random, contract: dict[str, Any], ids: Iterator[int], *, invoices: bool
) -> list[StoredDocument]:
    cid = contract["id"]
    tenant = f"OCB000{rng.randint(1000, 9999)}_{contract['name']}"
    chosen = rng.sample(CATALOGUE, rng.randint(6, 9))
    docs: list[StoredDocument] = []

    def add(kind: str, filename: str, period: str, created: str, body: bytes, media: str) -> None:
        meta = {
            "id": f"DOC-{next(ids)}",
            "filename": filename,
            "period": period,
            "documentType": kind,
            "createdAt": created,
        }
        docs.append(StoredDocument(cid, meta, body, media))

    for period in BILLED_PERIODS:
        billing = _billing(rng, contract, tenant, period, chosen, share=1.0)
        year, month = int(period[:4]), int(period[4:])
        first = dt.date(year, month, 1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        last = nxt - dt.timedelta(days=1)
        stamp = f"{nxt:%Y-%m}"
        add(
            "comsumptionRatedReports",
            f"consumption_rated_report_{cid}_{period}.csv",
            period,
            f"{stamp}-03T01:00:00Z",
            rated_report_csv(billing, f"{first:%d/%m/%Y}", f"{last:%d/%m/%Y}"),
            CSV_MEDIA_TYPE,
        )
        add(
            "bills",
            f"bill_{cid}_{period}.xlsx",
            period,
            f"{stamp}-05T02:00:00Z",
            bill_xlsx(billing),
            xlsx.MEDIA_TYPE,
        )
        if invoices:
            number = f"FE{period}{rng.randint(100000, 999999)}"
            add(
                "invoices",
                f"invoice_{cid}_{period}.pdf",
                period,
                f"{stamp}-06T03:00:00Z",
                invoice_pdf(billing, number, f"{stamp}-06"),
                pdf.MEDIA_TYPE,
            )
    partial = _billing(rng, contract, tenant, PARTIAL_PERIOD, chosen, share=0.45)
    add(
        "partialConsumptionRatedReports",
        f"partial_consumption_rated_report_{cid}_{PARTIAL_PERIOD}.csv",
        PARTIAL_PERIOD,
        PARTIAL_CREATED,
        rated_report_csv(partial, "01/01/2025", "14/01/2025"),
        CSV_MEDIA_TYPE,
    )
    return docs


def _billing(
    rng: random.Random,
    contract: dict[str, Any],
    tenant: str,
    period: str,
    chosen: list[tuple[str, str, str, str, float, int, int]],
    share: float,
) -> Billing:
    lines = []
    for index, (service, category, sub, unit, price, low, high) in enumerate(chosen, start=1):
        if unit == "hour":
            quantity: float = round(rng.randint(low, high) * share)
        else:
            quantity = round(rng.uniform(low, high) * share, 1)
        lines.append(
            ChargeLine(
                reference=f"{contract['id']}-{period}-{index:03d}",
                region=REGION,
                service=service,
                category=category,
                sub_category=sub,
                quantity=quantity,
                unit=unit,
                unit_price=price,
                discount=rng.choice((0.0, 0.0, 0.05, 0.1)),
                resource_id=_uuid(rng),
                project=f"{REGION}_{contract['name']}",
            )
        )
    return Billing(contract["id"], contract["customer"]["name"], tenant, period, tuple(lines))


def _phone(rng: random.Random, lead: str) -> str:
    pairs = " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
    return f"+33 {lead} {pairs}"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ascii(text: str, keep: str = "") -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(rf"[^a-z0-9{re.escape(keep)}]", "", plain.replace(" ", keep))


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
