"""The live state of the Orange emulation: contracts, users, documents, tokens, limiter."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.faults import FaultDice
from rowpush.sandbox.limiter import RollingWindowLimiter
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.orange.options import (
    NAME,
    ORANGE_TOKEN_TTL,
    OrangeOptions,
    orange_options,
)
from rowpush.sandbox.orange.seed import StoredDocument, seed_orange
from rowpush.sandbox.orange.tokenstore import ExpiringTokens


@dataclass
class OrangeState:
    """What tests reach as ``server.state.orange``; records may be read and edited."""

    options: SandboxOptions
    tokens: ExpiringTokens
    limiter: RollingWindowLimiter
    dice: FaultDice
    contracts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Contract id -> the full record ``GET /contract`` answers."""
    users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Contract id -> its users, in creation order."""
    documents: dict[str, StoredDocument] = field(default_factory=dict)
    """Document id -> metadata, owning contract and bytes."""
    downloads: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """One-shot storage nonce -> (document id, zipped), when downloads redirect."""
    _ids: itertools.count[int] = field(default_factory=itertools.count, init=False, repr=False)

    @classmethod
    def seeded(cls, options: SandboxOptions, clock: Clock) -> OrangeState:
        state = cls(options, ExpiringTokens(clock), RollingWindowLimiter(clock), FaultDice(0))
        state.reset()
        return state

    @property
    def settings(self) -> OrangeOptions:
        """The live ``OrangeOptions`` (read per request: tests may change them)."""
        return orange_options(self.options)

    @property
    def token_ttl(self) -> int:
        ttl = self.settings.token_ttl
        return self.options.token_lifetime(ORANGE_TOKEN_TTL) if ttl is None else ttl

    def reset(self) -> None:
        """Back to the seed: fresh records, no tokens, empty rate window, fresh dice."""
        settings = self.settings
        data = seed_orange(self.options.seed, settings.contracts, invoices=settings.invoices)
        self.contracts, self.users, self.documents = data.contracts, data.users, data.documents
        self.downloads = {}
        self._ids = itertools.count(10_001)
        self.tokens.revoke_all()
        self.limiter.reset()
        self.dice.reseed(f"{self.options.seed}:{NAME}")

    def next_id(self, prefix: str) -> str:
        """A fresh id for a created record, e.g. ``USR-10001`` (seeded ids stay below)."""
        if prefix == "CT":
            while True:
                candidate = f"CT-{next(self._ids):06d}"
                if candidate not in self.contracts:
                    return candidate
        return f"{prefix}-{next(self._ids)}"

    def documents_of(self, contract_id: str) -> list[StoredDocument]:
        """A contract's documents, newest first."""
        docs = [d for d in self.documents.values() if d.contract_id == contract_id]
        return sorted(docs, key=lambda d: (d.meta["createdAt"], d.id), reverse=True)

    def new_download(self, document_id: str, zipped: bool) -> str:
        nonce = secrets.token_urlsafe(24)
        self.downloads[nonce] = (document_id, zipped)
        return nonce
