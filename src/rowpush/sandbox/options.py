"""Everything that shapes the sandbox's behaviour, in one dataclass.

Options are read on every request, so a test may change them on a running server
(``server.options.fail_rate = 1.0``). Fields prefixed ``halo_`` concern the HaloPSA
emulation only; the rest apply to every API. Behaviours the API notes tag "assumed"
each have a switch here and are listed in ``sandbox/README.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RateWindow:
    """A rolling-window limit: at most ``limit`` requests in any ``seconds`` span."""

    limit: int
    seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.seconds <= 0:
            raise ValueError(f"rate window needs limit >= 1 and seconds > 0, got {self}")

    @classmethod
    def per_second(cls, rate: float) -> RateWindow:
        """The shortest window that sustains ``rate`` requests per second.

        2.0 becomes 2 per 1 s, 0.5 becomes 1 per 2 s, 2.5 becomes 2 per 0.8 s.
        """
        if not rate > 0 or math.isinf(rate):
            raise ValueError(f"rate must be a positive number of requests per second, got {rate}")
        limit = max(1, math.floor(rate))
        return cls(limit=limit, seconds=limit / rate)

    def describe(self) -> str:
        """Halo's wording for the window, e.g. "5 minute" or "2 second"."""
        if self.seconds >= 60 and self.seconds % 60 == 0:
            return f"{int(self.seconds // 60)} minute"
        if self.seconds == int(self.seconds):
            return f"{int(self.seconds)} second"
        return f"{self.seconds:g} second"


HALO_300_PER_5_MIN = RateWindow(300, 300.0)
"""Quoted in real 429 bodies in 2022-23 (documented, historic)."""
HALO_500_PER_3_MIN = RateWindow(500, 180.0)
"""Halo's Fair Use Policy page (documented, date unknown)."""
HALO_700_PER_5_MIN = RateWindow(700, 300.0)
"""Third-party READMEs, most recent."""

RATE_PRESETS: dict[str, RateWindow] = {
    "halo-300": HALO_300_PER_5_MIN,
    "halo-500": HALO_500_PER_3_MIN,
    "halo-700": HALO_700_PER_5_MIN,
}
"""Named windows for the CLI (``--rate-limit halo-700``)."""


class FlagError(ValueError):
    """A command-line flag the sandbox cannot use as given, and what to write instead."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


DEMO_HALO_CLIENT_ID = "sandbox-halo-id"
DEMO_HALO_CLIENT_SECRET = "sandbox-halo-secret-7Qm2xV9c"  # the sandbox's own; not a real secret


@dataclass
class SandboxOptions:
    """How the sandbox behaves. Every field has a default: ``SandboxOptions()`` is the demo."""

    rate_limit: float | None = None
    """Sustained requests per second allowed per API; over it answers 429. None: no limit."""
    rate_window: RateWindow | None = None
    """An explicit rolling window (see ``RATE_PRESETS``); wins over ``rate_limit``."""
    retry_after: bool = False
    """Send ``Retry-After`` (whole seconds) on 429, on every API. Off, as no vendor
    emulated here documents one (HaloPSA, m3ter, Orange, Usage Engine, Hyalto): a
    client must cope without it (``rowpush sandbox --retry-after`` turns it on)."""
    vendor_limits: bool = False
    """Each API also enforces its vendor's own published limit where the sandbox knows
    it: HaloPSA's rolling window ``halo_rate_window``. The shared ``rate_limit`` /
    ``rate_window`` wins where set. (m3ter's: ``M3terOptions.with_published_limits``.)"""
    fail_rate: float = 0.0
    """Probability (0-1) that a request fails with a random 500/502/503 before touching state."""
    throttle_rate: float = 0.0
    """Probability (0-1) of the API's own throttle answer (``Retry-After: 1``), state untouched."""
    timeout_rate: float = 0.0
    """Probability (0-1) that a request hangs ``hang_seconds`` before the API runs, then 504."""
    drop_rate: float = 0.0
    """Probability (0-1) that the API handles a request, then the connection drops mid-answer."""
    hang_seconds: float = 30.0
    """Seconds an injected timeout hangs: longer than a client's timeout, so the client gives up."""
    latency_ms: int = 0
    """Delay added to every response, in milliseconds."""
    token_ttl: int | None = None
    """Seconds every API's tokens live (``expires_in``); None: each API's own (1 h; m3ter 5 h)."""
    seed: int = 1
    """Seeds the demo data and the fault dice, so runs are repeatable."""
    log_limit: int = 10_000
    """How many requests the request log keeps (oldest dropped first)."""

    halo_client_id: str = DEMO_HALO_CLIENT_ID
    """The one HaloPSA API application the sandbox knows: its client id."""
    halo_client_secret: str = DEMO_HALO_CLIENT_SECRET
    """... and its secret."""
    halo_tenant: str = "sandbox"
    """Tenant name reported by ``/api/authinfo``; any ``?tenant=`` is accepted."""
    halo_clients: int = 500
    """How many clients to seed."""
    halo_rate_window: RateWindow = HALO_300_PER_5_MIN
    """HaloPSA's limit when ``vendor_limits`` is on: a rolling window, 300 per 5 minutes
    as real 429 bodies quote it (``HALO_700_PER_5_MIN`` for the newer figure)."""
    halo_accept_basic_auth: bool = True
    """Accept client credentials as an HTTP Basic header. Assumed (form fields are documented)."""
    halo_check_scopes: bool = True
    """Reject unknown scope names (400) and enforce read/edit:customers on /api/Client (403)."""
    halo_default_count: int | None = 50
    """Rows a list returns without ``pageinate`` or ``count``. Assumed; None returns all."""
    halo_default_page_size: int = 50
    """Page size when ``pageinate=true`` comes without ``page_size``. Assumed."""
    halo_list_inactive_by_default: bool = False
    """Whether lists include inactive records unless filtered. Assumed: active only."""
    halo_list_summary: bool = True
    """Lists return a summary per record; GET by id gives it all. Seen in a client library."""
    halo_unknown_id: Literal["error", "create"] = "error"
    """POST with an id that does not exist: 400, or create a new record. Assumed: 400."""
    halo_customfields_replace: bool = True
    """Posting ``customfields`` clears those not posted. Seen in homotechsual/HaloAPI#13."""
    halo_post_status: int = 201
    """Status of a successful POST. Notes: 200 or 201 (seen in a client library)."""
    halo_post_many_shape: Literal["array", "last"] = "array"
    """Answer to a POST of several records: all of them, or only the last. Assumed: array."""
    halo_require_json: bool = True
    """POST bodies must be sent as ``application/json`` (else 415). Assumed (ASP.NET)."""
    halo_case_insensitive_names: bool = True
    """Match JSON field names and query parameter names ignoring case. Assumed (.NET defaults)."""

    apis: dict[str, Any] = field(default_factory=dict)
    """Per-API option objects, by API name (e.g. ``{"m3ter": M3terOptions(...)}``); each
    API package defines its own dataclass and reads it with ``api_options``."""

    def api_options(self, name: str, factory: Callable[[], T]) -> T:
        """The options object of one API, created with its defaults when not given."""
        if name not in self.apis:
            self.apis[name] = factory()
        found: T = self.apis[name]
        return found

    def __post_init__(self) -> None:
        rates = self.fault_rates()
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {rate}")
        total = sum(rates.values())
        if total > 1.0 + 1e-9:  # one roll picks at most one fault per request
            names = ", ".join(rates)
            raise ValueError(f"{names} add up to {total:g}; they must add up to 1 at most")
        if not 0.0 <= self.hang_seconds < math.inf:
            raise ValueError(f"hang_seconds must be 0 or more, got {self.hang_seconds}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be 0 or more, got {self.latency_ms}")
        if self.token_ttl is not None and self.token_ttl < 0:
            raise ValueError(f"token_ttl must be 0 or more, got {self.token_ttl}")
        if self.rate_limit is not None:
            RateWindow.per_second(self.rate_limit)  # raises on a bad rate

    @classmethod
    def from_flags(cls, *, rate_limit: str | None = None, **fields: Any) -> SandboxOptions:
        """Options from `rowpush sandbox` flags: `rate_limit` as written ("5/s", "5", or a
        name of ``RATE_PRESETS``, or "vendor" for ``vendor_limits``), the other fields as
        typed. Raises `FlagError`."""
        try:
            options = cls(**fields)
        except ValueError as exc:  # e.g. the fault rates add up to more than 1
            raise FlagError(
                f"{exc}.", hint="Lower --fail-rate, --429-rate, --timeout-rate or --drop-rate."
            ) from None
        if rate_limit == "vendor":  # each API its own published limit (Halo's window)
            options.vendor_limits = True
        elif rate_limit in RATE_PRESETS:
            options.rate_window = RATE_PRESETS[rate_limit]
        elif rate_limit:
            try:
                options.rate_limit = float(rate_limit.removesuffix("/s"))
            except ValueError:
                raise FlagError(
                    f"--rate-limit {rate_limit!r} is not understood.",
                    hint='Write requests per second ("5/s"), vendor, or one of '
                    f"{', '.join(RATE_PRESETS)}.",
                ) from None
            if options.rate_limit <= 0:
                raise FlagError("--rate-limit must be more than 0 requests per second.")
        return options

    def fault_rates(self) -> dict[str, float]:
        """The injected-fault probabilities by option name, in the order one roll checks them."""
        return {
            "fail_rate": self.fail_rate,
            "throttle_rate": self.throttle_rate,
            "timeout_rate": self.timeout_rate,
            "drop_rate": self.drop_rate,
        }

    def token_lifetime(self, documented: int) -> int:
        """``token_ttl``, or the API's ``documented`` lifetime when it is None."""
        return documented if self.token_ttl is None else self.token_ttl

    def window(self) -> RateWindow | None:
        """The rolling window every API's limiter enforces, or None for no limit."""
        if self.rate_window is not None:
            return self.rate_window
        if self.rate_limit is not None:
            return RateWindow.per_second(self.rate_limit)
        return None
