"""`build_client`: the one place that builds an `httpx.AsyncClient` for a connection."""

from __future__ import annotations

import asyncio
import time
import urllib.request
import weakref
from collections.abc import Mapping

import httpx

from rowpush import __version__
from rowpush.errors import ConfigError
from rowpush.http.auth import ClientCredentials
from rowpush.http.limiter import Clock, RateLimiter, Sleep
from rowpush.http.rate import Rate
from rowpush.http.redact import Redactor
from rowpush.http.retry import RetryPolicy
from rowpush.http.transport import OnEvent, PoliteTransport

__all__ = ["USER_AGENT", "build_client", "limiter_of", "redactor_of"]

USER_AGENT = f"rowpush/{__version__}"

_LIMITERS: weakref.WeakKeyDictionary[httpx.AsyncClient, RateLimiter] = weakref.WeakKeyDictionary()
"""The limiter of each client `build_client` made, for `limiter_of`."""
_REDACTORS: weakref.WeakKeyDictionary[httpx.AsyncClient, Redactor] = weakref.WeakKeyDictionary()


def build_client(
    base_url: str,
    *,
    auth: httpx.Auth | None = None,
    rate: Rate | None = None,
    adaptive: bool = False,
    limiter: RateLimiter | None = None,
    policy: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    verify: bool = True,
    timeout: float = 30.0,
    max_connections: int = 10,
    transport: httpx.AsyncBaseTransport | None = None,
    on_event: OnEvent | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
    redactor: Redactor | None = None,
    label: str | None = None,
) -> httpx.AsyncClient:
    """A client for one connection: keep-alive, rate limited, retried, authenticated.

    - `transport` replaces the network (a `MockTransport`, an in-process app);
      either way it is wrapped in a `PoliteTransport`, so tests exercise the same
      limiting and retries as real runs. Without it: an `AsyncHTTPTransport` with
      up to `max_connections` kept-alive connections, through the proxy named by
      the environment (HTTPS_PROXY, NO_PROXY), if any.
    - `rate` limits requests per window; give `limiter` instead to read its
      `state` in a progress display or to share it between clients (m3ter's
      per-organisation limit spans both of its hosts). Not both.
    - `adaptive=True` makes `rate` a ceiling: halved on each throttle (one burst of
      429s halves it once), won back slowly (see `AdaptivePolicy`). For a rate the
      user did not set, such as an API's default; a rate the user set stays fixed.
      With `limiter`, say `RateLimiter(rate, adaptive=True)` instead.
    - `limiter_of(client)` gives the limiter back, for its `state`.
    - `policy` sets retries (default `RetryPolicy()`); `on_event` hears about each
      429 pause, retry and give-up. Where `rate` is a rolling window (`300/5min`), a
      429 without Retry-After waits for the window to free (see `PoliteTransport`);
      `label` names the API in those events ("HaloPSA rolling window").
    - Every request carries `User-Agent: rowpush/<version>` unless `headers` says
      otherwise; `timeout` applies to each attempt (connect, read, write, pool),
      not to the waits between attempts. `sleep` and `clock` are for fake clocks.
    - `redactor` learns every credential the client sends (`redactor_of(client)`
      gives it back), so that API messages quoting one can be cleaned.
    - A `ClientCredentials` auth is bound to the client: its token requests go
      through it (limited and retried too).
    """
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(
            f"base_url {base_url!r} is not a full http(s) URL.",
            hint="Write it like https://acme.example.com in rowpush.toml.",
        )
    if rate is not None and limiter is not None:
        raise ValueError("give build_client a rate or a limiter, not both")
    if adaptive and limiter is not None:
        raise ValueError("adaptive is for the limiter build_client makes, not one it is given")
    if limiter is None:
        limiter = RateLimiter(rate, adaptive=adaptive, clock=clock, sleep=sleep)
    if transport is None:
        transport = httpx.AsyncHTTPTransport(
            verify=verify,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            proxy=_environment_proxy(url),
        )
    redactor = redactor if redactor is not None else Redactor()
    polite = PoliteTransport(
        transport,
        limiter=limiter,
        policy=policy,
        on_event=on_event,
        sleep=sleep,
        redactor=redactor,
        label=label,
    )
    client = httpx.AsyncClient(
        base_url=url,
        auth=auth,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=httpx.Timeout(timeout),
        transport=polite,
    )
    if isinstance(auth, ClientCredentials):
        auth.bind(client)
    _LIMITERS[client] = limiter
    _REDACTORS[client] = redactor
    return client


def limiter_of(client: httpx.AsyncClient) -> RateLimiter | None:
    """The limiter of a client made by `build_client` (None for any other client),
    so that a progress display can read its `state`."""
    return _LIMITERS.get(client)


def redactor_of(client: httpx.AsyncClient) -> Redactor:
    """The redactor of a client made by `build_client` (an empty one for any other)."""
    return _REDACTORS.get(client) or Redactor()


def _environment_proxy(url: httpx.URL) -> str | None:
    """The proxy the environment names for `url`'s host, as httpx would pick it.

    Passing our own transport turns off httpx's reading of proxy variables, so it
    is done here (for the base URL's host; token endpoints share it in practice).
    """
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(url.host):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"
