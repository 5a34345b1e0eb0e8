"""HaloPSA emulation, mounted under ``/halopsa`` (so a client's base URL is ``{url}/halopsa``).

Built from ``shared/apis/halopsa.md`` alone. ``api.build_halopsa`` assembles it; kinds of
record are declared in ``clients.py`` (more later) on the generic ``schema``/``collection``.
"""
