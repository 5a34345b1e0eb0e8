"""Derived measurement uids, payloads and wire bytes, pinned as the code computed them
before planning was made faster: m3ter deduplicates re-runs by uid, so a uid that
changed for any input would count an old sheet's measurements twice."""

# ruff: noqa: E501  (pinned bodies stay whole, to be read and compared as sent)

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rowpush.config import Connection
from rowpush.engine.plan import plan_row
from rowpush.engine.validate import map_headers, validate_rows
from rowpush.model import RawRow
from rowpush.targets import m3ter, m3ter_body
from rowpush.targets.m3ter import M3terMeasurements
from rowpush.targets.wire import json_bytes, wire_of

METERS = {
    "api_calls": {
        "who": {"user_id", "Name"},
        "where": {"region"},
        "what": {"endpoint"},
        "other": {"note"},
        "metadata": {"src"},
        "measure": {"requests", "gb"},
        "cost": {"eur"},
        "income": {"usd"},
    }
}


def _target(zone: str | None) -> M3terMeasurements:
    settings = {"org_id": "o", "access_key_id": "k", "api_secret": "s"}
    if zone:
        settings["timezone"] = zone
    target = M3terMeasurements(Connection("m3", "m3ter", settings))
    target.meters = METERS
    target.accounts = {"ACME-001", "Zoë-02"}
    return target


H = ["meter", "account", "ts", "who.user_id", "measure.requests"]
ALL = [
    "meter",
    "account",
    "ts",
    "ets",
    "who.user_id",
    "WHO.Name",
    "where.region",
    "what.endpoint",
    "other.note",
    "metadata.src",
    "measure.requests",
    "measure.gb",
    "cost.eur",
    "income.usd",
]
B = {"meter": "api_calls", "account": "ACME-001", "ts": "2026-01-31 23:00:00"}
CASES = [
    (None, H, {**B, "who.user_id": "u-42", "measure.requests": "1250"}),
    (None, H, {**B, "who.user_id": "Zoë «café» 東京 😀", "measure.requests": "12.50"}),
    (
        None,
        H,
        {**B, "account": "Zoë-02", "who.user_id": 'q"b\\s/\t\n\x01', "measure.requests": "1e3"},
    ),
    (None, H, {**B, "who.user_id": " padded ", "measure.requests": " 7 "}),
    (None, H, {**B, "measure.requests": "-0"}),
    (None, H, {**B, "measure.requests": "0.1"}),
    (None, H, {**B, "measure.requests": "1.0"}),
    (None, H, {**B, "measure.requests": "123456789012345678901234567890"}),
    (None, H, {**B, "measure.requests": "1.5E-7"}),
    (None, H, {**B, "ts": "2026-01-31", "measure.requests": "3"}),
    (None, H, {**B, "ts": "2026-01-31T10:00:00+02:00", "measure.requests": "3"}),
    (None, H, {**B, "ts": "2026-01-31T10:00:00.123456Z", "measure.requests": "3"}),
    (None, H, {**B, "ts": "46000.5", "measure.requests": "3"}),
    (None, H, {**B, "ts": datetime(2026, 3, 4, 5, 6, 7), "measure.requests": "3"}),
    (None, H, {**B, "ts": date(2026, 3, 4), "measure.requests": "3"}),
    ("Europe/Paris", H, {**B, "ts": "2026-07-01 12:00:00", "measure.requests": "1"}),
    ("Europe/Paris", H, {**B, "ts": "2026-03-29 02:30:00", "measure.requests": "1"}),
    (
        "America/New_York",
        ALL,
        {
            **B,
            "ets": "2026-02-01 00:00:00",
            "who.user_id": "u",
            "WHO.Name": "N",
            "where.region": "eu",
            "what.endpoint": "/v1",
            "other.note": "n",
            "metadata.src": "s",
            "measure.requests": "5",
            "measure.gb": "2.25",
            "cost.eur": "0.10",
            "income.usd": "7",
        },
    ),
    (
        None,
        ALL,
        {
            **B,
            "ets": "",
            "who.user_id": "",
            "WHO.Name": "",
            "where.region": "eu",
            "what.endpoint": "",
            "other.note": "",
            "metadata.src": "",
            "measure.requests": "",
            "measure.gb": "",
            "cost.eur": "",
            "income.usd": "",
        },
    ),
    (None, ["uid", *H], {"uid": "mine-1", **B, "measure.requests": "1"}),
    (None, ["uid", *H], {"uid": "  ", **B, "measure.requests": "1"}),
    (
        None,
        H,
        {
            **B,
            "ts": "2026-01-31 23:00:00",
            "who.user_id": "u\u2028x\ud800",
            "measure.requests": "1",
        },
    ),
    # invalid ones: messages pinned
    (None, H, {**B, "measure.requests": "lots"}),
    (None, H, {**B, "measure.requests": "nan"}),
    (None, H, {**B, "measure.requests": "inf"}),
    (None, H, {**B, "meter": "nope", "measure.requests": "1"}),
    (None, H, {**B, "account": "NOPE", "measure.requests": "1"}),
    (None, H, {**B, "ts": "yesterday", "measure.requests": "1"}),
    (None, H, {**B, "meter": "", "measure.requests": "1"}),
    (None, ["meter", "account", "ts", "who.nobody"], {**B, "who.nobody": "x"}),
    (None, ["uid", *H], {"uid": "x" * 201, **B, "measure.requests": "1"}),
    (None, H, {**B, "who.user_id": "x" * 600_000, "measure.requests": "1"}),
]

EXPECTED: list[tuple[Any, ...]] = [
    (
        "create",
        "b67733f5-be7d-58b0-8f56-e60cc9907d83",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":1250},"who":{"user_id":"u-42"},"uid":"b67733f5-be7d-58b0-8f56-e60cc9907d83"}',
    ),
    (
        "create",
        "4e1b1b8a-d95c-5353-bc6b-4158f8998dc7",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":12.5},"who":{"user_id":"Zoë «café» 東京 😀"},"uid":"4e1b1b8a-d95c-5353-bc6b-4158f8998dc7"}',
    ),
    (
        "create",
        "9f93e0b5-1298-51dc-82cf-ae9ae7fd04ee",
        '{"meter":"api_calls","account":"Zoë-02","ts":"2026-01-31T23:00:00Z","measure":{"requests":1000},"who":{"user_id":"q\\"b\\\\s/\\t\\n\\u0001"},"uid":"9f93e0b5-1298-51dc-82cf-ae9ae7fd04ee"}',
    ),
    (
        "create",
        "0d242e0b-ffe1-5001-993a-6a7595b5d2e4",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":7},"who":{"user_id":" padded "},"uid":"0d242e0b-ffe1-5001-993a-6a7595b5d2e4"}',
    ),
    (
        "create",
        "79018c61-701a-5c0e-bfc8-acf3c48bc499",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":0},"uid":"79018c61-701a-5c0e-bfc8-acf3c48bc499"}',
    ),
    (
        "create",
        "4a71d084-2aed-538a-98d7-26ae8125c4ca",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":0.1},"uid":"4a71d084-2aed-538a-98d7-26ae8125c4ca"}',
    ),
    (
        "create",
        "729f3776-ea40-52de-9598-15dfa8d01491",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":1.0},"uid":"729f3776-ea40-52de-9598-15dfa8d01491"}',
    ),
    (
        "create",
        "477d72f1-701a-51a3-915a-c523a69e7478",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":123456789012345677877719597056},"uid":"477d72f1-701a-51a3-915a-c523a69e7478"}',
    ),
    (
        "create",
        "ba8ff24f-aefa-5dcb-97ba-32af9ec1fbb0",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":1.5e-07},"uid":"ba8ff24f-aefa-5dcb-97ba-32af9ec1fbb0"}',
    ),
    (
        "create",
        "a8ebb8fe-75d3-58ba-8b18-b9b935396c79",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T00:00:00Z","measure":{"requests":3},"uid":"a8ebb8fe-75d3-58ba-8b18-b9b935396c79"}',
    ),
    (
        "create",
        "e3f5dd6a-d722-580f-8b92-1e20c9ceadd5",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T08:00:00Z","measure":{"requests":3},"uid":"e3f5dd6a-d722-580f-8b92-1e20c9ceadd5"}',
    ),
    (
        "create",
        "51769564-4210-5cbb-b1dd-49824ada6f7a",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T10:00:00.123456Z","measure":{"requests":3},"uid":"51769564-4210-5cbb-b1dd-49824ada6f7a"}',
    ),
    (
        "create",
        "8fc02487-e494-5ec9-8d07-22f8f52d2a39",
        '{"meter":"api_calls","account":"ACME-001","ts":"2025-12-09T12:00:00Z","measure":{"requests":3},"uid":"8fc02487-e494-5ec9-8d07-22f8f52d2a39"}',
    ),
    (
        "create",
        "909631f0-8de5-5ae2-a669-38263dd57485",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-03-04T05:06:07Z","measure":{"requests":3},"uid":"909631f0-8de5-5ae2-a669-38263dd57485"}',
    ),
    (
        "create",
        "086b75a3-2fee-5df8-8855-a350f102e481",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-03-04T00:00:00Z","measure":{"requests":3},"uid":"086b75a3-2fee-5df8-8855-a350f102e481"}',
    ),
    (
        "create",
        "511475b6-9d01-5115-9f26-e87a1d2fb911",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-07-01T10:00:00Z","measure":{"requests":1},"uid":"511475b6-9d01-5115-9f26-e87a1d2fb911"}',
    ),
    (
        "create",
        "82e8392e-c85d-59cc-9ce7-d1408cd51054",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-03-29T01:30:00Z","measure":{"requests":1},"uid":"82e8392e-c85d-59cc-9ce7-d1408cd51054"}',
    ),
    (
        "create",
        "52ebb3c7-cd4a-56aa-bc7b-750ae317985a",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-02-01T04:00:00Z","ets":"2026-02-01T05:00:00Z","cost":{"eur":0.1},"income":{"usd":7},"measure":{"gb":2.25,"requests":5},"metadata":{"src":"s"},"other":{"note":"n"},"what":{"endpoint":"/v1"},"where":{"region":"eu"},"who":{"Name":"N","user_id":"u"},"uid":"52ebb3c7-cd4a-56aa-bc7b-750ae317985a"}',
    ),
    (
        "create",
        "36d69e97-9b5c-5306-9c01-885166e333db",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","where":{"region":"eu"},"uid":"36d69e97-9b5c-5306-9c01-885166e333db"}',
    ),
    (
        "create",
        "mine-1",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":1},"uid":"mine-1"}',
    ),
    (
        "create",
        "5de8da58-dee7-58b2-8f27-967cacabac68",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":1},"uid":"5de8da58-dee7-58b2-8f27-967cacabac68"}',
    ),
    (
        "create",
        "e5cbfc02-875e-5e75-bc2d-d8b5515911b1",
        '{"meter":"api_calls","account":"ACME-001","ts":"2026-01-31T23:00:00Z","measure":{"requests":1},"who":{"user_id":"u\\u2028x\\ud800"},"uid":"e5cbfc02-875e-5e75-bc2d-d8b5515911b1"}',
    ),
    ("invalid", ["m.csv: row 2, column E (measure.requests): 'lots' is not a number."]),
    ("invalid", ["m.csv: row 2, column E (measure.requests): 'nan' is not a number."]),
    ("invalid", ["m.csv: row 2, column E (measure.requests): 'inf' is not a number."]),
    ("invalid", ["m.csv: row 2, column A (meter): no m3ter meter has code 'nope'."]),
    ("invalid", ["m.csv: row 2, column B (account): no m3ter account has code 'NOPE'."]),
    (
        "invalid",
        [
            "m.csv: row 2, column C (ts): the value 'yesterday' is not valid; expected a date and time such as 2026-01-31 14:30:00."
        ],
    ),
    (
        "invalid",
        ["m.csv: row 2, column A (meter): the cell is blank but this row needs a value there."],
    ),
    (
        "invalid",
        ["m.csv: row 2, column D (who.nobody): meter 'api_calls' has no WHO field 'nobody'."],
    ),
    (
        "invalid",
        [
            "m.csv: row 2, column A (uid): the value '"
            + "x" * 201
            + "' is not valid; expected at most 200 characters."
        ],
    ),
    (
        "invalid",
        [
            "m.csv: row 2: this row is 600,161 bytes as JSON; m3ter takes at most 511,980 in one request: shorten its text values."
        ],
    ),
]


@pytest.mark.parametrize(("case", "expected"), list(zip(CASES, EXPECTED, strict=True)))
def test_measurement_uid_payload_and_wire_are_as_pinned(
    case: tuple[Any, list[str], dict[str, Any]], expected: tuple[Any, ...]
) -> None:
    zone, headers, cells = case
    hmap = map_headers(M3terMeasurements, headers, "m.csv")
    (row,) = validate_rows(M3terMeasurements, hmap, [RawRow(2, cells)], "m.csv")
    change = plan_row(_target(zone), row, {}, hmap, "m.csv")
    if change.errors:
        assert (change.action.value, [e.message for e in change.errors]) == expected
    else:
        got = (change.action.value, change.payload["uid"], wire_of(change).decode())
        assert got == expected


@given(st.text(max_size=300))
def test_uid_of_the_uid_text_is_uuid5_of_it(content: str) -> None:
    derived = m3ter_body.uuid5_text(content.encode())
    assert derived == str(uuid.uuid5(m3ter_body.UID_NAMESPACE, content))


_CODES = st.text(min_size=1, max_size=8)
_NUMBERS = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e3", " 7 ", "-0", "0.10", "1.0", "12.50"]),
)


@given(
    st.dictionaries(
        st.tuples(st.sampled_from(sorted(m3ter.CATEGORIES)), _CODES),
        st.one_of(st.text(max_size=12), _NUMBERS),
        max_size=6,
    ),
    st.text(min_size=1, max_size=10),
    st.sampled_from([None, "", "mine-1", "Zoë"]),
    st.booleans(),
)
def test_templated_body_is_the_json_encoded_one(
    data: dict[tuple[str, str], str], account: str, uid: str | None, with_ets: bool
) -> None:
    """Whatever the field names and values, the body, uid and wire bytes built from the
    row's layout are those json builds (the reference encoding the uids were made by)."""
    values: dict[str, Any] = {"meter": "api_calls", "account": account}
    values["ts"] = datetime(2026, 1, 31, 23, 0, 0, 5)
    if with_ets:
        values["ets"] = datetime(2026, 2, 1)
    if uid is not None:
        values["uid"] = uid
    values.update({f"{c}.{code}": v for (c, code), v in data.items()})
    target = M3terMeasurements()
    body, wire = target.payload_wire(m3ter.Action.CREATE, None, values)
    base = {k: body[k] for k in ("meter", "account", "ts", "ets") if k in body}
    reference = target._json_payload(base, values)
    assert body == reference
    assert list(body) == list(reference)
    assert {k: list(v) for k, v in body.items() if isinstance(v, dict)} == {
        k: list(v) for k, v in reference.items() if isinstance(v, dict)
    }
    if wire is not None:
        assert wire == json_bytes(reference)
    else:
        with pytest.raises(UnicodeEncodeError):
            json_bytes(reference)


_CELLS = st.one_of(
    st.text(max_size=8),
    _NUMBERS,
    st.integers(-(10**20), 10**20),
    st.floats(),
    st.booleans(),
)


@given(
    st.lists(
        st.tuples(_CELLS, _CELLS, st.sampled_from([None, "", "own-1", "Zoë"])),
        min_size=1,
        max_size=30,
    )
)
@example([(1, 1, None), (1.0, 1.0, None), (True, True, "own-1"), ("1", "1", "")])
@example([(True, False, None), (1, 0, None), ("007", 0.0, None)])
def test_a_layout_encodes_a_block_of_columns_as_it_encodes_each_row(
    rows: list[tuple[Any, Any, str | None]],
) -> None:
    """`encode_columns` (apply's bulk lane) gives each row the wire bytes and uid that
    `encode` gives it alone, whatever the values' types (1, 1.0, True and "1" apart);
    None where a value is no number `check` would take, or the wire is not UTF-8."""
    top = {"meter": "api_calls", "account": "ACME-001", "ts": "2026-01-31T23:00:00Z"}
    layout = m3ter_body.body_layout({**top, "measure.requests": 0, "who.user_id": ""}, False)
    assert layout is not None
    expected: list[tuple[bytes, str] | None] = []
    for number, user, uid in rows:
        values = {**top, "measure.requests": number, "who.user_id": user}
        if uid is not None:
            values["uid"] = uid
        encoded = layout.encode(dict(top), values)
        if encoded is None or encoded[1] is None or m3ter_body.as_number(number) is None:
            expected.append(None)
        else:
            expected.append((encoded[1], encoded[0]["uid"]))
    count = len(rows)
    columns = [[top["meter"]] * count, [top["account"]] * count, [top["ts"]] * count]
    data = {"measure.requests": [r[0] for r in rows], "who.user_id": [r[1] for r in rows]}
    uids = [r[2] for r in rows] if any(r[2] is not None for r in rows) else None
    got = layout.encode_columns(columns, [data[name] for name, *_ in layout.fields], uids)
    assert got == expected
