"""Orange Business Cloud Store Customer Space emulation, mounted under ``/orange``.

Built from ``shared/apis/orange-cloud-customer-space.md`` alone. The token endpoint is
``/orange/oauth/v3/token`` and the resources live under ``/orange/cloud/b2b/v1`` (the real
hosts' paths below our prefix). ``api.build_orange`` assembles it; ``options.OrangeOptions``
holds its switches.
"""
