"""The live state of the emulated m3ter organisation; tests may read and edit it."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.faults import FaultDice
from rowpush.sandbox.limiter import RollingWindowLimiter
from rowpush.sandbox.m3ter.accounts import ACCOUNT
from rowpush.sandbox.m3ter.entities import Author, EntityStore
from rowpush.sandbox.m3ter.kinds import CheckContext
from rowpush.sandbox.m3ter.limits import KeyedLimiters
from rowpush.sandbox.m3ter.meters import METER
from rowpush.sandbox.m3ter.options import M3terOptions, m3ter_options
from rowpush.sandbox.m3ter.orgconfig import ORG_CONFIG
from rowpush.sandbox.m3ter.products import PRODUCT
from rowpush.sandbox.m3ter.seed import seed_org
from rowpush.sandbox.m3ter.stored import StoredMeasurements
from rowpush.sandbox.m3ter.tokens import AccessTokens
from rowpush.sandbox.m3ter.wallclock import WallClock
from rowpush.sandbox.options import SandboxOptions

KINDS = (METER, ACCOUNT, PRODUCT)


@dataclass
class Host:
    """One m3ter host's edge: the shared-window limiter, the m3ter windows, the fault dice."""

    limiter: RollingWindowLimiter
    vendor: KeyedLimiters
    dice: FaultDice

    def reset(self, seed: str) -> None:
        self.limiter.reset()
        self.vendor.reset()
        self.dice.reseed(seed)


@dataclass
class M3terState:
    """Records, tokens, measurements and events of the one organisation."""

    options: SandboxOptions
    clock: Clock
    wall: WallClock
    tokens: AccessTokens
    config_host: Host
    ingest_host: Host
    stores: dict[str, EntityStore] = field(default_factory=dict)
    """Keyed by path: ``meters``, ``accounts``, ``products``."""
    org_config_store: EntityStore = field(default_factory=lambda: EntityStore(ORG_CONFIG))
    measurements: StoredMeasurements = field(default_factory=StoredMeasurements)
    """Every stored measurement as sent, oldest first (duplicates and invalid ones excluded);
    a read-only sequence of dicts, kept compressed per request."""
    uids: dict[str, float] = field(default_factory=dict)
    """``uid`` of each stored measurement -> when it was stored (sandbox clock)."""
    events: list[dict[str, Any]] = field(default_factory=list)
    """Recorded events (``ingest.validation.failure``), oldest first."""
    _ids: random.Random = field(default_factory=random.Random)

    @classmethod
    def seeded(cls, options: SandboxOptions, clock: Clock) -> M3terState:
        wall = WallClock(clock)

        def host() -> Host:
            return Host(RollingWindowLimiter(clock), KeyedLimiters(clock), FaultDice(0))

        state = cls(options, clock, wall, AccessTokens(clock, wall), host(), host())
        state.reset()
        return state

    @property
    def m3ter(self) -> M3terOptions:
        """The live m3ter options."""
        return m3ter_options(self.options)

    @property
    def org_id(self) -> str:
        return self.m3ter.org_id

    @property
    def meters(self) -> dict[str, dict[str, Any]]:
        """Live meters by id."""
        return self.stores["meters"].records

    @property
    def accounts(self) -> dict[str, dict[str, Any]]:
        return self.stores["accounts"].records

    @property
    def products(self) -> dict[str, dict[str, Any]]:
        return self.stores["products"].records

    @property
    def org_config(self) -> dict[str, Any]:
        """The organisation config record."""
        return next(iter(self.org_config_store.records.values()))

    def reset(self) -> None:
        """Back to the seeded organisation; no tokens, measurements, events or rate windows."""
        seed = self.options.seed
        self._ids = random.Random(f"{seed}:m3ter:ids")
        org = seed_org(seed, self.m3ter.accounts, self.new_id)
        self.stores = {kind.path: EntityStore(kind, org.records[kind.path]) for kind in KINDS}
        self.org_config_store = EntityStore(ORG_CONFIG, {org.org_config["id"]: org.org_config})
        self.measurements.clear()
        self.uids.clear()
        self.events.clear()
        self.tokens.revoke_all()
        self.config_host.reset(f"{seed}:m3ter-config")
        self.ingest_host.reset(f"{seed}:m3ter-ingest")

    def new_id(self) -> str:
        """A fresh record id (a v4 UUID from the seeded sequence)."""
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def exists(self, kind_path: str, record_id: str) -> bool:
        store = self.stores.get(kind_path)
        return store is not None and record_id in store.records

    def context(self, note: Callable[[str], None]) -> CheckContext:
        return CheckContext(options=self.m3ter, note=note, exists=self.exists)

    def author(self, actor: str) -> Author:
        return Author(actor=actor, now=self.wall.iso(), new_id=self.new_id)

    def meter_by_code(self, code: str) -> dict[str, Any] | None:
        return self.stores["meters"].by_code(code)

    def account_by_code(self, code: str) -> dict[str, Any] | None:
        return self.stores["accounts"].by_code(code)
