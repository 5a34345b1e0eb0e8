"""Options of the Orange emulation: ``SandboxOptions.apis["orange"]``, an ``OrangeOptions``."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Literal

from rowpush.sandbox.options import SandboxOptions

NAME = "orange"
ORANGE_TOKEN_TTL = 3600
"""Token lifetime without a ``token_ttl`` anywhere: 1 h (guide; 3600 s assumed)."""

DEMO_CLIENT_ID = "sandbox-orange-client"
DEMO_CLIENT_SECRET = "sandbox-orange-secret-Zt4wQ8pK"  # the sandbox's own; not a real secret
DEMO_API_KEY = base64.b64encode(
    b"".join(hashlib.sha512(f"rowpush-sandbox-orange-{i}".encode()).digest() for i in range(4))
).decode()
"""344 base64 characters: real keys are long opaque strings (seen in public scripts)."""


@dataclass
class OrangeOptions:
    """How the Orange emulation behaves; every field has a default (the demo)."""

    client_id: str = DEMO_CLIENT_ID
    """The one Orange Developer application the sandbox knows: its client id."""
    client_secret: str = DEMO_CLIENT_SECRET
    """... and its secret."""
    api_key: str = DEMO_API_KEY
    """The Cloud Store API key expected in ``X-API-Key``."""
    contracts: int = 3
    """How many contracts to seed (each with 8-12 users and 7 billing documents)."""
    token_ttl: int | None = None
    """Token lifetime in seconds; None uses ``SandboxOptions.token_ttl``, else 3600 (guide)."""
    accept_body_credentials: bool = True
    """Accept ``client_id``/``client_secret`` as form fields when no Basic header is sent,
    as the v3 guide allows (Basic is its default). Off: only Basic is accepted."""
    api_key_rejection: Literal[401, 403] = 401
    """Missing or wrong ``X-API-Key``: 401 (code 40 missing / 41 invalid) or 403 (code 50).
    Assumed."""
    contract_rejection: Literal[401, 403] = 403
    """Missing, unknown or mismatched ``X-ECCS-Contract-Id``: 403 (code 50) or 401 (code 41).
    Assumed."""
    throttle_status: Literal[403, 429] = 403
    """Status of a throttled request; the body is always code 53 "Too many requests".
    Assumed from other Orange APIs (403); newer ones use 429."""
    writes: bool = True
    """Serve the write endpoints (create contract, create user): the vendor guide's
    collection documents their paths and body fields; their answers are assumed."""
    refuse_unknown_body_fields: bool = True
    """A write body with a field the guide's request does not list is a 400 (gateway code
    24) naming it; off: the field is ignored and noted in the request log. Assumed (how
    the real gateway treats an unknown field is not known: refusing is what catches a
    misspelt field here)."""
    user_list_needs_contract_header: bool = True
    """``GET /contracts/{id}/users`` needs ``X-ECCS-Contract-Id`` equal to the path's id,
    like the other contract-scoped reads. Assumed (the call itself is). Creating a user
    never needs it (documented: the guide's "create user" sends none); sent anyway, it
    must match the path (assumed)."""
    documents_default_limit: int | None = 10
    """How many documents ``GET /documents`` answers without ``limit`` (None: all). Likely,
    not confirmed: the real API appears to answer only 10."""
    unique_login: Literal["platform", "contract", "off"] = "platform"
    """Scope in which a user ``login`` must be unique (ignoring case); "off" lets two
    identical POSTs create two users. Assumed."""
    duplicate_login_status: int = 409
    """Status when a login is taken (body code 24 "Invalid body field"). Assumed."""
    offer_codes: tuple[str, ...] = ("FE-PAYG", "FE-RESERVED", "CA-PAYG")
    """Accepted ``offerCode`` values on contract creation; empty accepts any. Assumed."""
    support_levels: tuple[str, ...] = ("STANDARD", "PREMIUM")
    """Accepted ``supportLevel`` values; empty accepts any. Assumed."""
    civilities: tuple[str, ...] = ("MR", "MRS", "MS")
    """Accepted ``civility`` values on user creation. Assumed (the guide shows "MRS")."""
    invoices: bool = True
    """Seed PDF ``invoices`` documents and know that type. Assumed (only bills and the
    two consumption report types are seen in public scripts)."""
    zip_any_document: bool = True
    """``?zipped=1`` zips any document; off: only the CSV reports (as seen). Assumed."""
    redirect_downloads: bool = False
    """Answer a file download with 302 to a one-shot storage URL ("may redirect", seen in
    public scripts) instead of the bytes."""


def orange_options(options: SandboxOptions) -> OrangeOptions:
    """The live Orange options (created with defaults on first use)."""
    return options.api_options(NAME, OrangeOptions)
