"""The write endpoints of the vendor guide's Postman collection: create a contract,
create a user.

Field names are the guide's (documented: its collection's request bodies, in
../shared/vendor/); a body with any other field is refused by default (assumed: the
gateway's 400 code 24). Which fields are required, their formats and the answers are
assumed. Neither is idempotent: the same contract posted twice makes two contracts; the
same user posted twice makes one user and a login conflict (or two users with
``unique_login="off"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rowpush.sandbox.orange.errors import GatewayError
from rowpush.sandbox.orange.seed import OFFERS
from rowpush.sandbox.orange.state import OrangeState
from rowpush.sandbox.orange.validation import EMAIL, LOGIN, PHONE, Fields

CONTRACT_FIELDS = (
    "billingAccountId",
    "offerCode",
    "contractName",
    "supportLevel",
    "referentCivility",
    "referentName",
    "referentFirstName",
    "referentMail",
    "referentFixPhone",
    "referentMobilePhone",
)
"""The body of the guide's "create contract" request (documented)."""
USER_FIELDS = ("civility", "lastName", "firstName", "email", "login", "fixPhone", "mobilePhone")
"""The body of the guide's "create user" request (documented)."""


def create_contract(
    state: OrangeState, body: dict[str, Any], note: Callable[[str], None]
) -> dict[str, Any]:
    """``POST /contracts``: order a contract; answers ``{"id", "name", "status"}``."""
    settings = state.settings
    fields = Fields(body, note)
    fields.refuse_unknown(CONTRACT_FIELDS, refuse=settings.refuse_unknown_body_fields)
    fields.text("billingAccountId", max_length=32)
    offer_code = fields.text("offerCode", choices=settings.offer_codes, max_length=32)
    name = fields.text("contractName")
    fields.text("supportLevel", choices=settings.support_levels, max_length=32)
    fields.text("referentCivility", choices=settings.civilities, max_length=8)
    last = fields.text("referentName")
    first = fields.text("referentFirstName")
    email = fields.text("referentMail", pattern=EMAIL, max_length=254)
    fields.text("referentFixPhone", required=False, pattern=PHONE)
    fields.text("referentMobilePhone", required=False, pattern=PHONE)
    assert offer_code is not None
    offer_name, contract_type = OFFERS.get(offer_code, (offer_code, "PAYG"))
    contract_id = state.next_id("CT")
    now = _now()
    state.contracts[contract_id] = {
        "id": contract_id,
        "name": name,
        "contractType": contract_type,
        "customer": {"id": None, "name": None},
        "offer": {"name": offer_name},
        # The contract detail's contact (observed shape) is the order's referent (assumed).
        "contact": {"firstName": first, "lastName": last, "email": email},
        "createdAt": now,
        "updatedAt": now,
    }
    state.users[contract_id] = []
    return {"id": contract_id, "name": name, "status": "IN_PROGRESS"}


def create_user(
    state: OrangeState, contract_id: str, body: dict[str, Any], note: Callable[[str], None]
) -> dict[str, Any]:
    """``POST /contracts/{id}/user``; answers ``{"id", "login", "status"}``."""
    settings = state.settings
    fields = Fields(body, note)
    fields.refuse_unknown(USER_FIELDS, refuse=settings.refuse_unknown_body_fields)
    user = {
        "civility": fields.text("civility", choices=settings.civilities, max_length=8),
        "lastName": fields.text("lastName"),
        "firstName": fields.text("firstName"),
        "email": fields.text("email", pattern=EMAIL, max_length=254),
        "login": fields.text("login", pattern=LOGIN),
        "fixPhone": fields.text("fixPhone", required=False, pattern=PHONE),
        "mobilePhone": fields.text("mobilePhone", required=False, pattern=PHONE),
    }
    login = str(user["login"])
    if _login_taken(state, contract_id, login):
        raise GatewayError(
            settings.duplicate_login_status, 24, f"The login {login!r} is already used."
        )
    record = {"id": state.next_id("USR"), **user, "status": "PENDING_ACTIVATION"}
    state.users[contract_id].append(record)
    return {"id": record["id"], "login": login, "status": record["status"]}


def _login_taken(state: OrangeState, contract_id: str, login: str) -> bool:
    scope = state.settings.unique_login
    if scope == "off":
        return False
    pools = state.users.values() if scope == "platform" else [state.users[contract_id]]
    wanted = login.casefold()
    return any(str(u["login"]).casefold() == wanted for pool in pools for u in pool)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
