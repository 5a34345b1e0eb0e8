"""The sandbox: local emulators of the vendors' REST APIs, served over real HTTP.

This is the vendors' side, not ours: nothing here imports the rest of rowpush. Each API
lives in its own subpackage and is mounted under its own prefix (``/halopsa``, ...);
the generic pieces (limiter, faults, request log, tokens) are small shared modules.

Entry points: ``rowpush.sandbox.app.create_app``, ``rowpush.sandbox.server.SandboxServer``,
``rowpush.sandbox.server.serve`` and ``rowpush.sandbox.server.render_config``. This module
imports nothing so that ``rowpush --help`` stays fast.
"""
