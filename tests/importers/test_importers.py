"""`rowpush import postman|openapi` through the CLI entry point: what a good file makes,
and that every malformed one ends in exit 2 naming the file and the place, writing nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from rowpush.cli import main
from rowpush.engine.verbs import all_targets
from rowpush.targets.declared_spec import dump_toml, load_spec
from rowpush.targets.registry import get_target

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PETSTORE = FIXTURES / "openapi" / "petstore-expanded.json"
COLLECTION = FIXTURES / "vendor" / "orange-ccs.postman_collection.json"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.delenv("ROWPUSH_CONFIG", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out.out + out.err


def test_a_third_public_openapi_document_imports_and_validates_a_sheet(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(capsys, "import", "openapi", str(PETSTORE), "--operation", "addPet")
    assert code == 0, text
    target = get_target("swagger-petstore.pets")
    assert [c.header for c in target.columns()] == ["name", "tag"]
    assert [c.header for c in target.columns() if c.required] == ["name"]
    assert 'base_url = "https://petstore.swagger.io"' in (here / "rowpush.toml").read_text()
    (here / "pets.csv").write_text("name,tag\nRex,dog\n,cat\n", encoding="utf-8")
    code, text = run(capsys, "validate", "pets.csv", "-t", "swagger-petstore.pets")
    assert code == 2
    assert re.search(r"^3 .*name needed to create a record", text, re.M)
    (here / "good.csv").write_text("name,tag\nRex,dog\n", encoding="utf-8")
    assert run(capsys, "validate", "good.csv", "-t", "swagger-petstore.pets")[0] == 0


def test_a_written_target_file_reads_back_equal(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", "postman", str(COLLECTION))[0] == 0
    path = here / "rowpush-targets" / "orange-ccs.create-user.toml"
    spec = load_spec(path)
    assert load_spec(path) == spec
    again = here / "again.toml"
    again.write_text(dump_toml(spec), encoding="utf-8")
    assert load_spec(again) == spec
    assert "orange-ccs.create-user" in all_targets()


def test_an_import_never_overwrites_a_target_file(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", "postman", str(COLLECTION))[0] == 0
    code, text = run(capsys, "import", "postman", str(COLLECTION))
    assert code == 2
    assert "exists already; the import wrote nothing" in text


def _write(here: Path, name: str, content: Any) -> Path:
    path = here / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def _openapi(body_schema: Any, schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "T"},
        "paths": {
            "/things": {
                "post": {"requestBody": {"content": {"application/json": {"schema": body_schema}}}}
            }
        },
        "components": {"schemas": schemas or {}},
    }


POSTMAN_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
MALFORMED = [
    ("postman", "c.json", "{not json", ["c.json is not JSON", "line 1"]),
    (
        "postman",
        "c.json",
        {"info": {"schema": "https://schema.getpostman.com/json/collection/v1.0.0/"}, "item": []},
        ["c.json: info.schema", "v2.0 and v2.1"],
    ),
    (
        "postman",
        "c.json",
        {
            "info": {"schema": POSTMAN_V21},
            "item": [
                {"name": "ping", "request": {"method": "POST", "url": "https://x.example/ping"}}
            ],
        },
        ["c.json: item[1] (ping)", "takes no variables"],
    ),
    ("openapi", "s.json", "[1, 2", ["s.json is not JSON"]),
    ("openapi", "s.json", {"swagger": "2.0", "paths": {}}, ["s.json: openapi is 2.0"]),
    (
        "openapi",
        "s.json",
        _openapi({"$ref": "#/components/schemas/Nowhere"}),
        [
            "s.json: paths./things.post.requestBody",
            "$ref #/components/schemas/Nowhere points to nothing",
        ],
    ),
    (
        "openapi",
        "s.json",
        _openapi(
            {"$ref": "#/components/schemas/A"},
            {
                "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}},
            },
        ),
        ["s.json: paths./things.post", "properties.b.properties.a", "circular $ref"],
    ),
    (
        "openapi",
        "s.json",
        _openapi({"type": "object", "properties": {}}),
        ["s.json: paths./things.post takes no variables"],
    ),
]


@pytest.mark.parametrize(("kind", "name", "content", "said"), MALFORMED)
def test_a_malformed_file_exits_2_naming_the_place_and_writes_nothing(
    here: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    name: str,
    content: Any,
    said: list[str],
) -> None:
    path = _write(here, name, content)
    args = ["import", kind, str(path)]
    if kind == "openapi":
        args += ["--path", "/things", "--method", "post"]
    code, text = run(capsys, *args)
    assert code == 2, text
    for words in said:
        assert words in text
    assert "Traceback" not in text
    assert not (here / "rowpush-targets").exists()
    assert not (here / "rowpush.toml").exists()


def test_a_bad_target_file_names_the_file_and_the_place(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = here / "rowpush-targets"
    folder.mkdir()
    (folder / "bad.toml").write_text(
        'name = "x.y"\n[create]\npath = "/x"\n[[columns]]\nname = "a"\ntype = "money"\n',
        encoding="utf-8",
    )
    code, text = run(capsys, "targets")
    assert code == 2
    assert "bad.toml: columns[1] (a).type" in text
