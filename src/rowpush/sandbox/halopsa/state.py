"""The live state of the emulated Halo tenant."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.faults import FaultDice
from rowpush.sandbox.halopsa.clients import client_kind
from rowpush.sandbox.halopsa.collection import EntityCollection
from rowpush.sandbox.halopsa.seed import seed_clients
from rowpush.sandbox.limiter import RollingWindowLimiter
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.tokens import TokenStore


@dataclass
class HaloState:
    """Records, tokens and the limiter of the Halo tenant; tests may read and edit them."""

    options: SandboxOptions
    tokens: TokenStore
    limiter: RollingWindowLimiter
    dice: FaultDice
    collections: dict[str, EntityCollection] = field(default_factory=dict)
    """Keyed by the kind's lower-case path segment ("client")."""

    @classmethod
    def seeded(cls, options: SandboxOptions, clock: Clock) -> HaloState:
        state = cls(options, TokenStore(clock), RollingWindowLimiter(clock), FaultDice(0))
        state.reset()
        return state

    def reset(self) -> None:
        """Back to the seeded tenant: fresh records, no tokens, empty rate window, fresh dice."""
        clients = seed_clients(self.options.halo_clients, self.options.seed)
        site_ids = itertools.count(
            max((c["main_site_id"] for c in clients.values()), default=29) + 1
        )
        kind = client_kind(lambda: next(site_ids))
        self.collections = {kind.path: EntityCollection(kind, clients)}
        self.tokens.revoke_all()
        self.limiter.reset()
        self.dice.reseed(f"{self.options.seed}:halopsa")

    @property
    def clients(self) -> dict[int, dict[str, Any]]:
        """Live client records by id."""
        return self.collections["client"].records
