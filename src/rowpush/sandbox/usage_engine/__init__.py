"""DigitalRoute Usage Engine Cloud Edition emulation, mounted under ``/usage-engine``.

A client's base URL is ``{url}/usage-engine`` (standing for ``https://api.digitalroute.io``).
Built from ``shared/apis/usage-engine.md`` alone: the token call (credentials and
``audience`` in the body), meter types and meters under ``/usage-metering/v1``.
``api.build_usage_engine`` assembles it.
"""
