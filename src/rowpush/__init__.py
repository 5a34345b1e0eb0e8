"""rowpush: a spreadsheet in, safe and audited bulk changes on SaaS REST APIs out.

This package imports nothing heavy at import time so that `rowpush --help` starts fast.
"""

__version__ = "0.1.0"
