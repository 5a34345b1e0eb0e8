"""Deterministic demo data for the HaloPSA emulation: lookup tables and ~500 clients.

Everything comes from one ``random.Random(seed)``: the same seed gives the same tenant.
Client ids start at 12 and skip, so code that confuses a row number with an id shows up.
"""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Any

from rowpush.sandbox.halopsa.schema import CustomFieldDef

TAX_CODES: dict[int, str] = {
    0: "No Tax",
    1: "Standard 20%",
    2: "Reduced 5%",
    3: "Zero Rated",
    4: "Exempt",
}
TOP_LEVELS: dict[int, str] = {1: "Customers", 2: "Partners", 3: "Internal"}
CLIENT_CUSTOM_FIELDS = (
    CustomFieldDef(201, "CFPONumber", "PO number"),
    CustomFieldDef(202, "CFAccountManager", "Account manager"),
    CustomFieldDef(203, "CFRenewalDate", "Contract renewal", type=4),
)
FIRST_CLIENT_ID = 12
FIRST_SITE_ID = 30

# Names that exercise quoting, accents and formula-looking first characters.
NOTABLE_NAMES = (
    "Northwind Traders",
    "Harbour & Hale Accountancy",
    "O'Brien & Sons Plumbing",
    "Müller Logistik GmbH",
    "Café Olé",
    "@Home Broadband Ltd",
    "+Plus Pharmacy",
    "Smith & Jones (Holdings) Ltd",
    "Ångström Optics AB",
    "Nakamura-Lindqvist Design Studio",
)
PLACES = (
    "Northwind", "Riverside", "Kingsbridge", "Ashford", "Westgate", "Eastfield", "Oakridge",
    "Millbrook", "Stonebridge", "Redhill", "Thornbury", "Elmstead", "Fairhaven", "Greyfriars",
    "Lakeside", "Highgate", "Brookfield", "Marlow", "Ravensworth", "Silverdale", "Copperfield",
    "Larkhill", "Whitby", "Castlegate", "Harbourside",
)  # fmt: skip
TRADES = (
    "Traders", "Logistics", "Engineering", "Consulting", "Dental Practice", "Veterinary Clinic",
    "Accountancy", "Architects", "Solicitors", "Builders", "Joinery", "Bakery", "Brewery",
    "Print Works", "Estate Agents", "Surveyors", "Physiotherapy", "Opticians", "Garden Centre",
    "Motors", "Haulage", "Electrical", "Plumbing & Heating", "Marine Services", "Hotel",
    "Academy", "Medical Centre", "Storage", "Recruitment",
)  # fmt: skip
SURNAMES = (
    "Hale", "Whitlock", "Pemberton", "Okafor", "Nakamura", "Fitzgerald", "Brennan", "Castellano",
    "Lindqvist", "Patel", "Moreau", "Kowalski", "Achterberg", "Delacroix", "Henderson",
    "Ashworth", "Kaur", "Haddad", "Sørensen", "Novak", "Rahman", "Chen", "Harbour", "Quinn",
)  # fmt: skip
ADJECTIVES = (
    "Bluefin", "Bright", "Clearwater", "Evergreen", "Granite", "Keystone", "Northstar",
    "Peregrine", "Quantum", "Summit", "Tidewater", "Vantage", "Willow", "Zenith", "Ironbridge",
    "Meridian",
)  # fmt: skip
NOUNS = (
    "Software", "Systems", "Analytics", "Networks", "Labs", "Media", "Design", "Studios",
    "Energy", "Foods", "Health", "Capital", "Digital", "Robotics",
)  # fmt: skip
SUFFIXES = ("", "", "", " Ltd", " Ltd", " Limited", " LLP", " Group", " & Co", " plc", " Inc")
COLOURS = ("#2a7ae2", "#999999", "#e24a2a", "#2ae27a", "#7a2ae2", "#e2c12a")
NOTES = (
    "Prefers email contact.",
    "Invoices go to the finance mailbox.",
    "On hold pending contract renewal.",
    "Key account - weekly check-in.",
    "Migrated from legacy CRM in 2021.",
    "Out-of-hours support agreed.\nCall the site manager first.",
)
ACCOUNT_MANAGERS = ("Priya Shah", "Tom Whitaker", "Aisha Bello", "Marek Nowak")
DOMAINS = (".co.uk", ".com", ".uk", ".io")
# Ofcom's drama ranges: real-looking numbers that ring nobody.
PHONE_PREFIXES = ("+44 20 7946 0", "+44 161 496 0", "+44 113 496 0")


def seed_clients(count: int, seed: int) -> dict[int, dict[str, Any]]:
    """``count`` clients keyed by id, the same for the same ``seed``."""
    rng = random.Random(seed)
    names = _company_names(rng, count)
    accounts: dict[str, int] = {}
    clients: dict[int, dict[str, Any]] = {}
    client_id = FIRST_CLIENT_ID
    site_id = FIRST_SITE_ID
    for index, name in enumerate(names):
        clients[client_id] = _client(rng, index, client_id, site_id, name, accounts)
        client_id += rng.randint(1, 5)
        site_id += rng.choice((1, 1, 1, 2))
    return clients


def _client(
    rng: random.Random,
    index: int,
    client_id: int,
    site_id: int,
    name: str,
    accounts: dict[str, int],
) -> dict[str, Any]:
    toplevel = rng.choices((1, 2, 3), weights=(85, 10, 5))[0]
    item_tax = rng.choices((1, 2, 3, 4, 0, None), weights=(70, 8, 7, 5, 5, 5))[0]
    service_tax = item_tax if rng.random() < 0.8 else rng.choice((0, 1, 2, 3, 4, None))
    prepay_tax = None if rng.random() < 0.6 else item_tax
    contract_tax = None if rng.random() < 0.5 else item_tax
    renewal = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    custom_values: dict[str, Any] = {
        "CFPONumber": f"PO-{rng.randint(1000, 99999)}" if rng.random() < 0.4 else None,
        "CFAccountManager": rng.choice(ACCOUNT_MANAGERS) if rng.random() < 0.6 else None,
        "CFRenewalDate": renewal if rng.random() < 0.5 else None,
    }
    return {
        "id": client_id,
        "name": name,
        "toplevel_id": toplevel,
        "toplevel_name": TOP_LEVELS[toplevel],
        "inactive": index % 37 == 5,
        "colour": rng.choice(COLOURS) if rng.random() < 0.8 else None,
        "main_site_id": site_id,
        "item_tax_code": item_tax,
        "item_tax_code_name": _tax_name(item_tax),
        "service_tax_code": service_tax,
        "service_tax_code_name": _tax_name(service_tax),
        "prepay_tax_code": prepay_tax,
        "prepay_tax_code_name": _tax_name(prepay_tax),
        "contract_tax_code": contract_tax,
        "contract_tax_code_name": _tax_name(contract_tax),
        "accountsid": _accounts_id(rng, name, accounts),
        "is_vip": rng.random() < 0.05,
        "website": f"https://www.{slug(name)}{rng.choice(DOMAINS)}"
        if rng.random() < 0.75
        else None,
        "phonenumber": (
            f"{rng.choice(PHONE_PREFIXES)}{rng.randint(0, 999):03d}"
            if rng.random() < 0.85
            else None
        ),
        "notes": rng.choice(NOTES) if rng.random() < 0.4 else "",
        "customfields": [
            {**definition.blank(), "value": custom_values[definition.name]}
            for definition in CLIENT_CUSTOM_FIELDS
        ],
    }


def _company_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    notable = iter(NOTABLE_NAMES)
    while len(names) < count:
        # Sprinkle the notable names through the first part of the list.
        candidate = next(notable, None) if len(names) % 7 == 0 else None
        if candidate is None:
            candidate = _company_name(rng)
        if candidate.lower() in seen:
            candidate = f"{candidate} ({len(names)})" if rng.random() < 0.05 else None
        if candidate is not None:
            seen.add(candidate.lower())
            names.append(candidate)
    return names


def _company_name(rng: random.Random) -> str:
    pattern = rng.randrange(4)
    if pattern == 0:
        base = f"{rng.choice(PLACES)} {rng.choice(TRADES)}"
    elif pattern == 1:
        first, second = rng.sample(SURNAMES, 2)
        base = f"{first} & {second} {rng.choice(TRADES)}"
    elif pattern == 2:
        base = f"{rng.choice(SURNAMES)} {rng.choice(TRADES)}"
    else:
        base = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    return base + rng.choice(SUFFIXES)


def _accounts_id(rng: random.Random, name: str, accounts: dict[str, int]) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.08:
        return f"{rng.randint(1, 9999):06d}"  # all digits with leading zeros: must stay text
    prefix = (re.sub(r"[^A-Z]", "", ascii_fold(name).upper()) + "XXX")[:3]
    accounts[prefix] = accounts.get(prefix, 0) + 1
    return f"{prefix}{accounts[prefix]:03d}"


def slug(name: str) -> str:
    """A domain-like word for a company name: "Café Olé Ltd" -> "cafeole"."""
    words = [w for w in re.split(r"[^a-z0-9]+", ascii_fold(name).lower()) if w]
    words = [w for w in words if w not in {"ltd", "limited", "llp", "plc", "inc", "co", "group"}]
    return "".join(words)[:30] or "example"


def ascii_fold(text: str) -> str:
    """``text`` without accents (ø -> o), non-ASCII characters dropped."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _tax_name(code: int | None) -> str | None:
    return None if code is None else TAX_CODES[code]
