"""Events: what the organisation records for later reading, here ``ingest.validation.failure``.

Shape (assumed, the best reading of the API reference):
``{"id", "eventName", "eventTime", "dtActioned": null, "m3terEvent": {"orgId",
"measurement": <as sent>, "errors": ["..."]}}``. Listed oldest first.
"""

from __future__ import annotations

import copy
from typing import Any

VALIDATION_FAILURE = "ingest.validation.failure"
EVENT_FILTERS = {"eventName": "eventName", "ids": "id"}


def validation_failure(
    event_id: str, now: str, org_id: str, measurement: Any, errors: list[str]
) -> dict[str, Any]:
    """The event recorded for one measurement that failed validation after acceptance."""
    return {
        "id": event_id,
        "eventName": VALIDATION_FAILURE,
        "eventTime": now,
        "dtActioned": None,
        "m3terEvent": {
            "orgId": org_id,
            "measurement": copy.deepcopy(measurement),
            "errors": list(errors),
        },
    }
