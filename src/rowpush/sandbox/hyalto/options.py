"""Options of the Hyalto emulation: ``SandboxOptions.apis["hyalto"]``, a ``HyaltoOptions``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rowpush.sandbox.options import SandboxOptions

NAME = "hyalto"
HYALTO_TOKEN_TTL = 3600
"""Token lifetime without a ``token_ttl`` anywhere: 1 h (documented by the sample token)."""

DEMO_ACCESS_KEY = "HYAK-sandbox-7c41e09b"
DEMO_SECRET_KEY = "sandbox-hyalto-secret-Vn3q8Lx2"  # the sandbox's own; not a real secret
DEMO_JWT_KEY = "sandbox-hyalto-jwt-signing-key"

ACCESS_AREAS = (
    "Account Management", "Solution Management", "Service Management", "IT Management",
    "Purchasing", "ASA Management", "Audit", "Accounts", "API Keys", "Authentication Types",
    "Contacts", "Contracts", "Customizations", "Database Servers",
)  # fmt: skip
"""Permission areas seen in the decoded sample token (documented)."""


def full_access() -> dict[str, dict[str, bool]]:
    """Every known area with every CRUD flag set."""
    return {area: dict.fromkeys("CRUD", True) for area in ACCESS_AREAS}


@dataclass
class HyaltoOptions:
    """How the Hyalto emulation behaves; every field has a default (the demo)."""

    access_key: str = DEMO_ACCESS_KEY
    """The one API key pair the sandbox knows: its Access Key."""
    secret_key: str = DEMO_SECRET_KEY
    """... and its Secret Key."""
    jwt_key: str = DEMO_JWT_KEY
    """HS256 signing key of the issued JWTs (tests verify signatures with it)."""
    issuer: str = "api.hyalto.local"
    """``iss`` claim (the sample token says ``api.hyalto-staging.com``)."""
    service_provider_id: int = 164
    """``serviceProviderId`` claim."""
    account_id: int = 164
    """``accountId`` claim: the key owner's own account (not one of the listed customers)."""
    company_name: str = "Sandbox Co."
    """``companyName`` claim."""
    api_key_id: int = 190
    """``apiKeyId`` claim."""
    access: dict[str, dict[str, bool]] = field(default_factory=full_access)
    """The key's ``access`` claim: area -> {"C","R","U","D"} flags, read when a token is issued."""
    token_ttl: int | None = None
    """Token lifetime in seconds; None uses ``SandboxOptions.token_ttl``, else 3600 (documented)."""
    accounts: int = 5
    """How many customer accounts to seed (each with 2-4 services)."""
    usage_month: str = "2025-01"
    """The month (``YYYY-MM``) of daily usage seeded for every service."""
    key_fields: tuple[str, str] = ("accessKey", "secretKey")
    """JSON field names of the key pair in the token request. Assumed."""
    accept_snake_case_keys: bool = True
    """Also accept ``access_key``/``secret_key`` (the notes say: until confirmed). Assumed."""
    reject_form_token_requests: bool = True
    """The token request must be JSON; form bodies and Basic headers are not read. Assumed."""
    token_extras: bool = True
    """Answer ``scope`` and ``expiresIn`` besides ``tokenType``/``accessToken``. Guide only."""
    check_access: bool = True
    """Refuse (403) a call whose token lacks the Read flag of the route's area. Assumed."""
    route_areas: dict[str, str] = field(
        default_factory=lambda: {
            "accounts": "Account Management",
            "services": "Service Management",
            "usage": "Service Management",
        }
    )
    """Permission area each route family needs Read on. Assumed."""
    require_usage_filters: bool = True
    """The usage report needs both ``filter[from]`` and ``filter[to]`` (else 400). Assumed."""
    filter_match: Literal["start", "overlap"] = "start"
    """A daily record matches when its day's start lies in [from, to] ("start"), or when the
    day overlaps the range at all ("overlap"). Assumed."""
    paging: bool = True
    """Honour JSON:API-style ``page[number]``/``page[size]`` and answer ``meta``/``links``.
    Assumed (the bracketed filters suggest JSON:API)."""
    page_by_default: bool = False
    """Page lists even without page parameters; the notes say full lists by default. Assumed."""
    default_page_size: int = 20
    """``page[size]`` when paging without one. Assumed."""
    max_page_size: int = 100
    """Largest ``page[size]`` accepted (else 400). Assumed."""
    list_shape: Literal["data", "bare"] = "data"
    """Lists (accounts, services, a report's records) as ``{"data": [...]}`` (the notes'
    shape, assumed) or as bare JSON arrays (what the one public Hyalto client reads; a
    bare report's records then carry their ``currency``, and paging is off)."""
    record_fields: Literal["notes", "client"] = "notes"
    """Where an account's name and a service's kind are: ``name``/``serviceType`` (the
    notes, assumed) or ``companyName``/``metaData.type`` (the public client)."""
    token_scheme: Literal["Bearer", "bare", "either"] = "Bearer"
    """How API calls must carry the JWT: ``Authorization: Bearer <JWT>`` (the notes,
    assumed from ``tokenType``), the bare JWT (the public client), or either."""
    strict_trailing_slash: bool = False
    """Serve the services list only with its trailing slash (as in the guide); off also
    accepts it without."""


def hyalto_options(options: SandboxOptions) -> HyaltoOptions:
    """The live Hyalto options (created with defaults on first use)."""
    return options.api_options(NAME, HyaltoOptions)
