"""The live state of the emulated Usage Engine account."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.faults import FaultDice
from rowpush.sandbox.limiter import RollingWindowLimiter
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.tokens import TokenStore
from rowpush.sandbox.usage_engine.metering import Metering
from rowpush.sandbox.usage_engine.options import NAME, UsageEngineOptions, ue_options
from rowpush.sandbox.usage_engine.seed import seed_account
from rowpush.sandbox.usage_engine.wallclock import WallClock


@dataclass
class UsageEngineState:
    """Records, tokens and limiters of the account; tests may read and edit them."""

    options: SandboxOptions
    clock: Clock
    tokens: TokenStore
    limiter: RollingWindowLimiter
    """The shared window (``SandboxOptions.rate_limit``) over every request."""
    dice: FaultDice
    wall: WallClock
    metering: Metering = field(init=False)
    token_limiters: dict[str, RollingWindowLimiter] = field(default_factory=dict)
    """Token-call windows by the ``client_id`` sent (documented: per client)."""

    @classmethod
    def seeded(cls, options: SandboxOptions, clock: Clock) -> UsageEngineState:
        state = cls(
            options,
            clock,
            TokenStore(clock),
            RollingWindowLimiter(clock),
            FaultDice(0),
            WallClock(clock),
        )
        state.reset()
        return state

    @property
    def ue_options(self) -> UsageEngineOptions:
        """This API's options (``options.apis["usage-engine"]``)."""
        return ue_options(self.options)

    def reset(self) -> None:
        """Back to the seeded account: fresh records, no tokens, empty windows, fresh dice."""
        seed = self.options.seed
        account = seed_account(seed, self.ue_options.meters)
        self.metering = Metering(account, random.Random(f"{seed}:{NAME}:ids"), self.wall)
        self.tokens.revoke_all()
        self.limiter.reset()
        self.token_limiters.clear()
        self.dice.reseed(f"{seed}:{NAME}")

    def token_limiter(self, client_id: str) -> RollingWindowLimiter:
        """The token-call window of one client id."""
        if client_id not in self.token_limiters:
            self.token_limiters[client_id] = RollingWindowLimiter(self.clock)
        return self.token_limiters[client_id]

    @property
    def account_id(self) -> str:
        """The account's id (``accountId`` of records and tokens)."""
        return self.metering.account_id

    @property
    def meter_types(self) -> dict[str, dict[str, Any]]:
        """Live meter type records by id (``numberOfMeters`` is computed when answering)."""
        return self.metering.meter_types

    @property
    def meters(self) -> dict[str, dict[str, Any]]:
        """Live meter records by id."""
        return self.metering.meters
