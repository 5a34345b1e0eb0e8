"""m3ter emulation: the Config API under ``/m3ter`` and the Ingest API under ``/m3ter-ingest``.

Built from ``shared/apis/m3ter.md`` alone. ``api.build_m3ter`` assembles both hosts, each
behind its own gateway; ``state.M3terState`` holds the organisation's records, issued
tokens, stored measurements and events. Options live in ``options.M3terOptions``
(``SandboxOptions.apis["m3ter"]``).
"""
