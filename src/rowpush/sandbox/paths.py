"""Path normalisation for APIs whose server ignores case (IIS-hosted ones such as Halo)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class CaseInsensitivePaths:
    """Lower-cases the part of the path below the mount point and drops a trailing slash.

    Routes behind it are declared in lower case: ``/api/client`` then matches
    ``/api/Client`` and ``/API/client/``. The prefix itself (``/halopsa``) is ours, not the
    vendor's, and is left alone.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root: str = scope.get("root_path", "")
            path: str = scope["path"]
            if root and path.startswith(root):
                route = path[len(root) :].lower()
                if len(route) > 1:
                    route = route.rstrip("/")
                scope = {**scope, "path": root + route}
        await self.app(scope, receive, send)
