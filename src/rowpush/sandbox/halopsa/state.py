"""The live state of the emulated Halo tenant."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.faults import FaultDice
from rowpush.sandbox.halopsa.assets import asset_kind
from rowpush.sandbox.halopsa.clients import client_kind
from rowpush.sandbox.halopsa.collection import EntityCollection
from rowpush.sandbox.halopsa.options import NAME, HaloEntityOptions
from rowpush.sandbox.halopsa.seed import seed_clients
from rowpush.sandbox.halopsa.seed_entities import CLIENT_FIELDS_USED, seed_entities
from rowpush.sandbox.halopsa.sites import main_site, site_kind
from rowpush.sandbox.halopsa.users import user_kind
from rowpush.sandbox.limiter import RollingWindowLimiter
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.tokens import TokenStore

KIND_PATHS = ("client", "site", "users", "asset")
"""Path segment of every kind served under ``/api``."""


@dataclass
class HaloState:
    """Records, tokens and the limiter of the Halo tenant; tests may read and edit them.

    Sites, users and assets (~4,000 records) are seeded on first use after a reset, not
    by the reset itself: the tests reset before each test and most touch only clients.
    They are drawn from the clients as seeded, so the order of first use changes nothing.
    """

    options: SandboxOptions
    tokens: TokenStore
    limiter: RollingWindowLimiter
    dice: FaultDice
    _collections: dict[str, EntityCollection] = field(default_factory=dict, repr=False)
    _seeded_clients: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def seeded(cls, options: SandboxOptions, clock: Clock) -> HaloState:
        state = cls(options, TokenStore(clock), RollingWindowLimiter(clock), FaultDice(0))
        state.reset()
        return state

    @property
    def entity_options(self) -> HaloEntityOptions:
        """Options of sites, users and assets (``options.apis["halopsa"]``)."""
        return self.options.api_options(NAME, HaloEntityOptions)

    def reset(self) -> None:
        """Back to the seeded tenant: fresh records, no tokens, empty rate window, fresh dice."""
        clients = seed_clients(self.options.halo_clients, self.options.seed)
        kind = client_kind(self._next_site_id, self._create_main_site)
        with self._lock:
            self._seeded_clients = {
                cid: {key: client.get(key) for key in CLIENT_FIELDS_USED}
                for cid, client in clients.items()
            }
            self._collections = {kind.path: EntityCollection(kind, clients)}
        self.tokens.revoke_all()
        self.limiter.reset()
        self.dice.reseed(f"{self.options.seed}:halopsa")

    def collection(self, path: str) -> EntityCollection:
        """The collection of one kind, by path segment ("client", "site", "users", "asset")."""
        if path not in self._collections:
            self._seed_entities()
        return self._collections[path]

    @property
    def collections(self) -> dict[str, EntityCollection]:
        """Every kind's collection, by path segment."""
        self._seed_entities()
        return self._collections

    def _seed_entities(self) -> None:
        with self._lock:
            if len(self._collections) == len(KIND_PATHS):
                return
            clients = self._collections["client"].records
            seeded = seed_entities(self._seeded_clients, self.options.seed, self.entity_options)
            sites = EntityCollection(site_kind(clients), seeded.sites)
            for collection in (
                sites,
                EntityCollection(user_kind(clients, sites.records), seeded.users),
                EntityCollection(asset_kind(clients, sites.records), seeded.assets),
            ):
                self._collections[collection.kind.path] = collection

    def _next_site_id(self) -> int:
        return self.collection("site").allocate_id()

    def _create_main_site(self, client: dict[str, Any]) -> None:
        sites = self.collection("site")
        site_id = client.get("main_site_id")
        if self.entity_options.create_main_site and site_id and site_id not in sites.records:
            sites.insert(main_site(sites.kind, site_id, client))

    @property
    def clients(self) -> dict[int, dict[str, Any]]:
        """Live client records by id."""
        return self.collection("client").records

    @property
    def sites(self) -> dict[int, dict[str, Any]]:
        """Live site records by id."""
        return self.collection("site").records

    @property
    def users(self) -> dict[int, dict[str, Any]]:
        """Live end-user records by id."""
        return self.collection("users").records

    @property
    def assets(self) -> dict[int, dict[str, Any]]:
        """Live asset records by id."""
        return self.collection("asset").records
