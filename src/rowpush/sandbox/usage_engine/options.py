"""Usage Engine's own options, read per request from ``SandboxOptions.apis["usage-engine"]``.

Every behaviour the API notes tag "assumed" has a switch here and a line in
``sandbox/README.md``. The shared ``SandboxOptions`` fields apply too: ``token_ttl``
(None: 3600 s, documented for Usage Engine), ``rate_limit``/``rate_window`` (every
request), ``retry_after``, the fault rates, ``latency_ms``, ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rowpush.sandbox.options import RateWindow, SandboxOptions

NAME = "usage-engine"
PREFIX = "/usage-engine"
UE_TOKEN_TTL = 3600
"""Token lifetime without a shared ``token_ttl``: one hour (documented)."""

DEMO_UE_CLIENT_ID = "sandbox-ue-id"
DEMO_UE_CLIENT_SECRET = "sandbox-ue-secret-9Kd3vT6w"  # the sandbox's own; not a real secret

EDITABLE_METER_TYPE_FIELDS = (
    "externalRef", "unit", "resetSchedule", "category", "activeFrom", "activeTo", "timezone",
)  # fmt: skip
"""What infozone's "Updating Meter Types" lists as editable (in the UI or by the API)."""
EDITABLE_METER_FIELDS = ("deleteOnReset",)
"""What infozone's "Meters" says an update of a meter supports."""

UE_TOKEN_WINDOW = RateWindow(5, 0.5)
"""Token calls: 10 per second per client, burst 5 (documented), as a rolling window of 5
per 0.5 s: the same burst and rate, never laxer than a token bucket."""


@dataclass
class UsageEngineOptions:
    """How the Usage Engine emulation behaves. ``UsageEngineOptions()`` is the demo account."""

    client_id: str = DEMO_UE_CLIENT_ID
    """The one Application Access the sandbox knows: its client id."""
    client_secret: str = DEMO_UE_CLIENT_SECRET
    """... and its client secret."""
    audience: str | None = None
    """The ``audience`` the token call must send. None: this environment's base URL as the
    client reached it, ``{scheme}://{host}/usage-engine`` (the connection's ``base_url``)."""
    check_audience: bool = True
    """A token call with another ``audience`` answers 400. Assumed (notes: 400 or 401/403)."""
    audience_slash_optional: bool = True
    """Accept the audience with or without its trailing slash (the documented examples end
    in "/"); off: exactly as configured, or the base URL with its trailing slash."""
    accept_basic_auth: bool = False
    """Take client credentials from a Basic header when the body has none. Assumed off:
    credentials go in the body (documented); off, a Basic-only call answers 400."""
    token_window: RateWindow | None = UE_TOKEN_WINDOW
    """Token calls allowed per client id (documented: 10/s, burst 5); None: no limit."""
    max_body_bytes: int = 1_048_576
    """Largest request body; over it answers 413 (documented code, size assumed)."""
    create_status: int = 201
    """Status of a successful create (POST). Assumed: 201 (200 also plausible)."""
    delete_status: int = 204
    """Status of a successful DELETE, with an empty body. Assumed."""
    update_methods: tuple[str, ...] = ("PATCH",)
    """Methods that update one meter type or meter (fields sent change, others stay).
    PATCH is documented for meters (an earlier infozone "Meters" page), assumed for meter
    types; add "PUT" to serve a client that falls back to whole records."""
    editable_meter_type_fields: tuple[str, ...] | None = EDITABLE_METER_TYPE_FIELDS
    """Fields an update may change on a meter type; sending another with a new value
    answers 400 (sending it unchanged is fine). Documented (infozone "Updating Meter
    Types"); None: every field is editable."""
    editable_meter_fields: tuple[str, ...] | None = EDITABLE_METER_FIELDS
    """... on a meter: ``deleteOnReset`` alone (documented, infozone "Meters"); custom
    fields are not listed, so a change to them answers 400 (assumed). None: all."""
    aggregation_types: tuple[str, ...] = ("sum", "increment")
    """Allowed ``aggregation.type`` values. Documented: sum, increment; others (max, last)
    are assumed to exist and can be added here."""
    meter_type_required: tuple[str, ...] = ("name", "unit", "aggregation", "resetSchedule")
    """Fields a new meter type must have (400 without). Assumed: the documented example body
    minus ``description``, ``category`` and ``timezone`` (default "Etc/UTC")."""
    names_ignore_case: bool = True
    """Two meter types whose names differ only in case conflict (409). Assumed."""
    unknown_fields: Literal["ignore", "reject"] = "ignore"
    """Body fields the emulator does not know: ignored (noted in the request log) or 400.
    Assumed: ignored."""
    delete_meter_type_in_use: Literal["conflict", "cascade"] = "conflict"
    """Deleting a meter type that still has meters: 409, or delete its meters too. Assumed."""
    meters: int = 40
    """How many meters to seed (over six seeded meter types)."""

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be 1 or more, got {self.max_body_bytes}")
        if self.meters < 0:
            raise ValueError(f"meters must be 0 or more, got {self.meters}")
        unknown = set(self.update_methods) - {"PUT", "PATCH", "POST"}
        if unknown:
            raise ValueError(f"update_methods may hold PUT, PATCH, POST; got {sorted(unknown)}")


def ue_options(options: SandboxOptions) -> UsageEngineOptions:
    """The Usage Engine options inside ``options`` (defaults when not set)."""
    return options.api_options(NAME, UsageEngineOptions)
