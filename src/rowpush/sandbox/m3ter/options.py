"""m3ter's own options, read per request from ``SandboxOptions.apis["m3ter"]``.

Every behaviour the API notes tag "assumed" (or only seen in a client library) has a
switch here and a line in ``sandbox/README.md``. The shared ``SandboxOptions`` fields
(``rate_limit``, ``rate_window``, ``retry_after``, the fault rates, ``latency_ms``, ``seed``)
apply too, and so does the shared ``token_ttl`` unless ``token_ttl`` here is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rowpush.sandbox.options import RateWindow, SandboxOptions

NAME = "m3ter"
M3TER_TOKEN_TTL = 18_000
"""Token lifetime without a ``token_ttl`` anywhere: 5 h (documented)."""

DEMO_ORG_ID = "8f0b6c2e-0000-4000-8000-000000000001"
DEMO_ACCESS_KEY_ID = "sandbox-m3ter-key"
DEMO_API_SECRET = "sandbox-m3ter-secret-4Fp8Lw2R"  # the sandbox's own; not a real secret

M3TER_CONFIG_WINDOW = RateWindow(20_000, 300.0)
"""Config API: 20,000 requests per rolling 5 minutes per source IP (documented)."""
M3TER_INGEST_WINDOW = RateWindow(5_000, 300.0)
"""Ingest API: 5,000 requests per rolling 5 minutes per source IP (documented)."""
M3TER_ORG_WINDOW = RateWindow(50, 1.0)
"""Either API: 50 requests per second per organisation (documented)."""

M3TER_RATE_PRESETS: dict[str, RateWindow] = {
    "m3ter-config": M3TER_CONFIG_WINDOW,
    "m3ter-ingest": M3TER_INGEST_WINDOW,
    "m3ter-org": M3TER_ORG_WINDOW,
}
"""The published windows by name; set them on ``M3terOptions`` (they apply to m3ter only)."""


@dataclass
class M3terOptions:
    """How the m3ter emulation behaves. ``M3terOptions()`` is the demo organisation."""

    org_id: str = DEMO_ORG_ID
    """The one organisation the sandbox knows; any other ``orgId`` in a path answers 403."""
    access_key_id: str = DEMO_ACCESS_KEY_ID
    """The service user's Access Key id (Basic auth user name on ``/oauth/token``)."""
    api_secret: str = DEMO_API_SECRET
    """... and its API Secret (Basic auth password)."""
    service_user_id: str = "service-user-7"
    """The token's ``sub``, shown as ``createdBy``/``lastModifiedBy`` on what it writes."""
    token_ttl: int | None = None
    """Seconds an access token lives (``expires_in``); None uses ``SandboxOptions.token_ttl``,
    else ``M3TER_TOKEN_TTL`` (18,000 s, documented)."""
    accounts: int = 40
    """How many accounts to seed."""

    default_page_size: int = 10
    """Page size of a list without ``pageSize``. Assumed (not published)."""
    max_page_size: int = 100
    """Largest ``pageSize`` for accounts, products and events. Assumed; meters: 100, documented."""
    repeated_filters: bool = True
    """Accept ``codes=a&codes=b`` as well as ``codes=a,b``. Assumed (comma seen in a client
    library); off: only the last repeat counts."""
    version_conflict_status: Literal[409, 400, 412, 422] = 409
    """Status of a ``PUT`` whose ``version`` is not the stored one. Assumed: 409 (m3ter
    publishes none; its SDK only maps statuses to exceptions): 400, 412 and 422 also
    plausible, and a client must recognise each."""
    version_on_create: Literal["reject", "ignore"] = "reject"
    """A ``version`` in a create body: 400, or ignored (noted). Assumed: the reference says
    "do not use for Create"."""
    check_references: bool = True
    """``productId`` and ``parentAccountId`` must name an existing record (else 400). Assumed."""
    codes_everywhere: bool = True
    """Account and product codes follow the meter code rules (1-80 printable characters,
    inner spaces only). Assumed; the rules are documented for meters."""
    numeric_unit_required: bool = True
    """A MEASURE, INCOME or COST data or derived field without a ``unit`` makes the meter
    400. Likely, not confirmed: the SDK's DataFieldParam says "Required only for numeric
    field categories"; off: accepted and noted."""
    strict_formats: bool = True
    """``emailAddress`` must look like an address, ``currency`` be 3 capital letters and
    dates (``billEpoch``, org config epochs) be ``YYYY-MM-DD`` (else 400). Assumed."""

    bad_token_status: Literal[403, 401] = 403
    """Status for a missing, malformed or unknown bearer token. Assumed: 403, as for an
    expired one (documented), since m3ter lists no 401."""
    token_error_shape: Literal["oauth", "message"] = "oauth"
    """Token endpoint errors as ``{"error", "error_description"}`` (RFC 6749) or as
    ``{"message"}``. Assumed."""
    error_key: str = "message"
    """The key of the error text in every other error body (``{"message": ...}``). Assumed."""

    ingest_max_bytes: int = 512_000
    """A measurements body of this many bytes or more answers 403 (documented)."""
    too_many_status: int = 403
    """Status for more than 1,000 measurements in one request. The limit is documented;
    the answer is assumed to be the 403 documented for an oversized payload (400 also
    plausible)."""
    ingest_schema_check: bool = True
    """A measurement that is not an object or lacks a string ``meter``, ``account`` or ``ts``
    fails the whole request with 400. Assumed; off: it is accepted and reported as an
    ``ingest.validation.failure`` event like any other invalid measurement."""
    skeleton_accounts: bool = True
    """An unknown account code in a measurement creates a skeleton account (documented);
    off: the measurement fails validation (an event) instead."""
    uid_window_days: float = 35.0
    """A ``uid`` seen again within this many days is stored once (documented)."""

    config_window: RateWindow | None = None
    """Per-IP rolling window on the Config host (``M3TER_CONFIG_WINDOW``); None: off. Applies
    on top of the shared ``rate_limit``/``rate_window``."""
    ingest_window: RateWindow | None = None
    """Per-IP rolling window on the Ingest host (``M3TER_INGEST_WINDOW``); None: off."""
    org_window: RateWindow | None = None
    """Per-organisation window, counted per host (``M3TER_ORG_WINDOW``); None: off."""

    def __post_init__(self) -> None:
        if self.token_ttl is not None and self.token_ttl < 0:
            raise ValueError(f"token_ttl must be 0 or more, got {self.token_ttl}")
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise ValueError("default_page_size must be between 1 and max_page_size")
        if self.version_conflict_status not in (409, 400, 412, 422):
            raise ValueError("version_conflict_status must be 409, 400, 412 or 422")
        if self.bad_token_status not in (403, 401):
            raise ValueError("bad_token_status must be 403 or 401")

    def with_published_limits(self) -> M3terOptions:
        """Turn on the documented windows on both hosts; returns self for chaining."""
        self.config_window = M3TER_CONFIG_WINDOW
        self.ingest_window = M3TER_INGEST_WINDOW
        self.org_window = M3TER_ORG_WINDOW
        return self


def m3ter_token_ttl(options: SandboxOptions) -> int:
    """Seconds an m3ter token lives: m3ter's own ``token_ttl``, the shared one, or 5 h."""
    own = m3ter_options(options).token_ttl
    return options.token_lifetime(M3TER_TOKEN_TTL) if own is None else own


def m3ter_options(options: SandboxOptions) -> M3terOptions:
    """The live m3ter options inside ``options`` (created with defaults when absent)."""
    return options.api_options(NAME, M3terOptions)
