"""Options of the Halo record kinds beyond clients: read with
``options.api_options("halopsa", HaloEntityOptions)``, so every field has a default.

The ``halo_*`` fields of ``SandboxOptions`` (auth, paging, upsert) apply to these kinds too.
"""

from __future__ import annotations

from dataclasses import dataclass

NAME = "halopsa"


@dataclass
class HaloEntityOptions:
    """How sites, users (end users) and assets are seeded and written."""

    sites_per_client: tuple[int, int] = (1, 3)
    """Fewest and most sites seeded per client; the first is the client's main site."""
    users_per_client: tuple[int, int] = (1, 5)
    """Fewest and most end users seeded per client."""
    assets_per_client: tuple[int, int] = (0, 6)
    """Fewest and most assets seeded per client."""
    create_main_site: bool = True
    """Creating a client also creates its main site (named "Main"). Assumed."""
    default_to_main_site: bool = True
    """A user or asset created with ``client_id`` but no ``site_id`` goes to the client's
    main site; off: 400, ``site_id`` required. Assumed."""
    users_name_from_parts: bool = True
    """A user created without ``name`` gets "firstname surname" as its name. Assumed."""
    check_email: bool = True
    """A user's ``emailaddress``, when not empty, must look like an address (else 400). Assumed."""
    address_merge: bool = True
    """Posting an address object changes only the keys sent; off: it replaces the whole
    address (keys not sent become null). Assumed."""

    def __post_init__(self) -> None:
        for name in ("sites_per_client", "users_per_client", "assets_per_client"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} needs 0 <= fewest <= most, got {(low, high)}")
            setattr(self, name, (low, high))  # a list would do, but seeding caches by value
        if self.sites_per_client[0] < 1:
            raise ValueError("sites_per_client needs at least 1: every client has a main site")
