"""An m3ter measurements target whose reference data is set here, for the engine tests that
plan measurements without a server (importable by name, unlike conftest)."""

from __future__ import annotations

import httpx

from rowpush.targets.m3ter import M3terMeasurements


class Loaded(M3terMeasurements):
    """The target with its reference data set here: nothing to load. Meter `api_calls`
    has every field the tests' sheets name; `storage` only `measure.requests`."""

    async def load_reference(self, client: httpx.AsyncClient) -> None:
        self.meters = {
            "api_calls": {
                "measure": {"requests"},
                "who": {"user_id"},
                "where": {"region"},
                "cost": {"eur"},
            },
            "storage": {"measure": {"requests"}},  # no who / where / cost fields
        }
        self.accounts = {"ACME-001", "ACME-002"}
