"""The live state of the Hyalto emulation: accounts, services, usage, issued tokens, limiter."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.faults import FaultDice
from rowpush.sandbox.hyalto.options import (
    HYALTO_TOKEN_TTL,
    NAME,
    HyaltoOptions,
    hyalto_options,
)
from rowpush.sandbox.hyalto.seed import seed_hyalto
from rowpush.sandbox.limiter import RollingWindowLimiter
from rowpush.sandbox.options import SandboxOptions


@dataclass
class HyaltoState:
    """What tests reach as ``server.state.hyalto``; records may be read and edited."""

    options: SandboxOptions
    clock: Clock
    limiter: RollingWindowLimiter
    dice: FaultDice
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Account id -> ``{"id", "name", "status", "currency"}``."""
    services: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Account id -> its services."""
    usage: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Service id -> its daily usage records, by date then meter."""
    owners: dict[int, int] = field(default_factory=dict)
    """Service id -> account id."""
    issued: dict[str, int] = field(default_factory=dict)
    """``jti`` -> ``exp`` of every token issued since the last reset; others are refused."""
    epoch_offset: float = 0.0
    """Unix time minus ``clock()``: JWT times follow the (possibly manual) clock."""

    @classmethod
    def seeded(cls, options: SandboxOptions, clock: Clock) -> HyaltoState:
        state = cls(options, clock, RollingWindowLimiter(clock), FaultDice(0))
        state.epoch_offset = time.time() - clock()
        state.reset()
        return state

    @property
    def settings(self) -> HyaltoOptions:
        """The live ``HyaltoOptions`` (read per request: tests may change them)."""
        return hyalto_options(self.options)

    @property
    def token_ttl(self) -> int:
        ttl = self.settings.token_ttl
        return self.options.token_lifetime(HYALTO_TOKEN_TTL) if ttl is None else ttl

    def now(self) -> float:
        """Unix seconds, moved by the sandbox clock."""
        return self.clock() + self.epoch_offset

    def reset(self) -> None:
        """Back to the seed: fresh records, no valid tokens, empty rate window, fresh dice."""
        settings = self.settings
        data = seed_hyalto(self.options.seed, settings.accounts, settings.usage_month)
        self.accounts, self.services = data.accounts, data.services
        self.usage, self.owners = data.usage, data.owners
        self.issued = {}
        self.limiter.reset()
        self.dice.reseed(f"{self.options.seed}:{NAME}")
