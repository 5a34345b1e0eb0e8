"""Hyalto emulation, mounted under ``/hyalto`` (a client's base URL is ``{url}/hyalto``).

Built from ``shared/apis/hyalto.md`` alone: only the key-pair -> JWT exchange is
documented; the accounts, services and usage report routes come from the vendors' Postman
guides and their shapes are assumed. ``api.build_hyalto`` assembles it;
``options.HyaltoOptions`` holds its switches.
"""
