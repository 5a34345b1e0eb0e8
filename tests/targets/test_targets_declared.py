"""A declarative target file becomes a Target: typed columns, bodies from templates or
dotted columns, live reads by list (paged) or by key, and outcomes from the answers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from rowpush.config import Connection
from rowpush.errors import BadInput
from rowpush.model import Action, Change, Status
from rowpush.targets.declared import declared_target
from rowpush.targets.declared_spec import load_spec

SPEC = """
name = "shop.products"
key = "sku"
label = "title"
create_missing = true
rate = "3/s"
throttled = [429, 503]

[read]
list = "/v1/products"
records = "data.items"
paging = "offset"
page_param = "offset"
size_param = "limit"
page_size = 2

[create]
path = "/v1/products"

[update]
method = "PATCH"
path = "/v1/products/{{sku}}"

[[columns]]
name = "sku"
required = true

[[columns]]
name = "title"
required = true
description = "What people see."
example = "Blue mug"

[[columns]]
name = "price.amount"
type = "number"

[[columns]]
name = "price.currency"
type = "enum"
choices = ["EUR", "USD"]

[[columns]]
name = "tags"
array = true

[[columns]]
name = "store"
in = "query"
"""


@pytest.fixture
def target_cls(tmp_path: Path) -> Any:
    path = tmp_path / "shop.toml"
    path.write_text(SPEC, encoding="utf-8")
    return declared_target(load_spec(path), str(path))


def test_the_columns_are_typed_with_notes_and_dropdowns(target_cls: Any) -> None:
    columns = {c.header: c for c in target_cls.columns()}
    assert list(columns) == ["sku", "title", "price.amount", "price.currency", "tags", "store"]
    assert columns["price.currency"].choices == ["EUR", "USD"]
    assert columns["title"].required
    assert "What people see." in columns["title"].note()
    row = target_cls.Row.model_validate(
        {"sku": "A1", "title": "Mug", "price.amount": "12", "tags": "a; b"}
    )
    assert row.model_dump(mode="json", exclude_unset=True) == {
        "sku": "A1",
        "title": "Mug",
        "price_amount": 12.0,
        "tags": ["a", "b"],
    }
    with pytest.raises(ValueError, match="title needed to create"):
        target_cls.Row.model_validate({"price.amount": "1"})
    assert target_cls.api.default_rate == "3/s"
    assert target_cls.api.is_throttled(httpx.Response(503))


def _run(target: Any, handler: Any, coro: Any) -> Any:
    async def go() -> Any:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(handler), base_url="https://shop.example"
        ) as client:
            return await coro(client)

    return asyncio.run(go())


def test_live_records_are_read_page_by_page_and_keyed(target_cls: Any) -> None:
    items = [
        {
            "sku": f"S{i}",
            "title": f"T{i}",
            "price": {"amount": 2.0, "currency": "EUR"},
            "tags": ["x"],
        }
        for i in range(5)
    ]
    asked: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        asked.append(query)
        start, size = int(query["offset"]), int(query["limit"])
        return httpx.Response(200, json={"data": {"items": items[start : start + size]}})

    target = target_cls(Connection("c", "http", {"base_url": "https://shop.example"}))
    live = _run(target, handler, lambda c: target.fetch_live(c, ["S1", "S4", "S9"] * 5, ["title"]))
    assert sorted(live) == ["S1", "S4"]
    assert live["S4"]["price_amount"] == 2  # whole numbers read as integers
    assert live["S1"]["tags"] == ["x"]
    assert [q["offset"] for q in asked] == ["0", "2", "4"]
    assert target.same("price_amount", 2.0, live["S1"]["price_amount"])


def test_creates_and_updates_go_where_the_file_says(target_cls: Any) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.method == "POST":
            return httpx.Response(201, json={"id": 77})
        return httpx.Response(422, json={"message": "price too low", "detail": "min 1"})

    target = target_cls(Connection("c", "http", {"base_url": "https://shop.example"}))
    create = target.payload(
        Action.CREATE,
        "N1",
        {"sku": "N1", "title": "New", "price_amount": 3.0, "tags": ["a", "b"], "store": "paris"},
    )
    update = target.payload(Action.UPDATE, "S/1", {"price_amount": 0.5})
    outcomes = _run(
        target,
        handler,
        lambda c: target.send(
            c,
            [
                Change(2, Action.CREATE, "N1", {}, create),
                Change(3, Action.UPDATE, "S/1", {}, update),
            ],
        ),
    )
    post, patch = sent
    assert post.url.path == "/v1/products"
    assert dict(post.url.params) == {"store": "paris"}
    assert json.loads(post.content) == {
        "sku": "N1",
        "title": "New",
        "price": {"amount": 3},
        "tags": ["a", "b"],
    }
    assert patch.method == "PATCH"
    assert patch.url.raw_path == b"/v1/products/S%2F1"
    assert json.loads(patch.content) == {"sku": "S/1", "price": {"amount": 0.5}}
    assert [(o.status, o.remote_id) for o in outcomes] == [
        (Status.CREATED, "77"),
        (Status.FAILED, None),
    ]
    assert outcomes[1].message == "price too low: min 1"


def test_a_placeholder_nothing_fills_is_a_plan_problem(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        'name = "a.b"\n[create]\npath = "/x/{{team}}/members"\n[[columns]]\nname = "login"\n'
    )
    target = declared_target(load_spec(path), str(path))(
        Connection("c", "http", {"base_url": "https://x"})
    )
    (problem,) = target.check({"login": "ada"}, None)
    assert problem[1].startswith("no value for {{team}}")
    filled = target_cls_with_vars(path)
    assert filled.check({"login": "ada"}, None) == []


def target_cls_with_vars(path: Path) -> Any:
    conn = Connection("c", "http", {"base_url": "https://x", "vars": {"team": "blue"}})
    return declared_target(load_spec(path), str(path))(conn)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('name = "a"\n[[columns]]\nname = "x"\n', "a target needs [create] or [update]"),
        (
            'name = "a"\nkey = "x"\n[create]\npath = "/a"\n[[columns]]\nname = "x"\n',
            "a key needs [read]",
        ),
        (
            'name = "a"\n[create]\npath = "/a"\n[[columns]]\nname = "x"\n[[columns]]\nname = "x"\n',
            "columns named twice: x",
        ),
        ('name = "a"\n[create]\npath = "/a"\ncolumns = 3\n', "columns"),
        ('name = "a" = 1\n', "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_with_its_name(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_spec(path)
    assert str(path) in str(caught.value)
    assert said in str(caught.value)
