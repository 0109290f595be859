"""Every recording the plugins' contract tests replay is valid format 1 (docs/recordings.md), and each
rule of the format is enforced: a file that breaks it fails with the file and the field named."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelplex_testing.recording import RecordingFormatError, validate

REPO = Path(__file__).resolve().parents[2]
# Every plugin's, the kit's own, and those `modelplex plugin new` writes into a new plugin.
FIXTURES = sorted([*REPO.glob("plugins/*/tests/fixtures/**/*.json"),
                   *REPO.glob("testing/tests/fixtures/**/*.json"),
                   *REPO.glob("core/src/modelplex/_templates/**/fixtures/**/*.json")])
EXAMPLE = json.loads((Path(__file__).parent / "fixtures" / "06_chat_stream_text_with_usage.json").read_text())


def test_there_are_fixtures_to_check() -> None:
    assert len(FIXTURES) > 200  # every plugin's, not an empty glob passing vacuously


@pytest.mark.parametrize("path", FIXTURES, ids=[str(p.relative_to(REPO)) for p in FIXTURES])
def test_every_fixture_is_valid(path: Path) -> None:
    data = validate(path)
    assert data == json.loads(path.read_text(encoding="utf-8"))


def _set(where: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = where.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return change


def _drop(where: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = where.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]
    return change


def _stream_as_json(data: dict[str, Any]) -> None:
    data["response"]["body"] = data["response"].pop("body_text")


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown top-level field", _set("recorded_by", "me"), "recorded_by"),
    ("a later format", _set("format", 2), "format"),
    ("no description", _set("description", ""), "description"),
    ("no source", _drop("source"), "source"),
    ("a source repo without a licence", _drop("source.license"), "source.license"),
    ("a source with neither repo nor kind", _set("source", {"notes": "mine"}), "source.kind"),
    ("lower-case method", _set("request.method", "post"), "request.method"),
    ("relative URL", _set("request.url", "/v1/chat/completions"), "request.url"),
    ("key in the query", _set("request.url", "https://x.test/v1/m?key=abc"), "request.url"),
    ("credentials in the URL", _set("request.url", "https://u:p@x.test/v1"), "request.url"),
    ("authorization header", _set("request.headers.authorization", "Bearer x"),
     "request.headers.authorization"),
    ("x-goog-api-key header", _set("request.headers.x-goog-api-key", "x"),
     "request.headers.x-goog-api-key"),
    ("a header not kept", _set("request.headers.openai-organization", "org"),
     "request.headers.openai-organization"),
    ("upper-case header name", _set("request.headers.Accept", "*/*"), "request.headers.Accept"),
    ("a rate-limit response header", _set("response.headers.x-ratelimit-remaining", "9"),
     "response.headers.x-ratelimit-remaining"),
    ("status as a string", _set("response.status", "200"), "response.status"),
    ("status out of range", _set("response.status", 700), "response.status"),
    ("both bodies", _set("response.body", {}), "response.body"),
    ("no body at all", _drop("response.body_text"), "response.body"),
    ("a stream parsed as JSON", _stream_as_json, "response.body"),
    ("body_text not a string", _set("response.body_text", ["data: x"]), "response.body_text"),
    ("no request headers", _drop("request.headers"), "request.headers"),
]


@pytest.mark.parametrize(("change", "field"), [(c, f) for _, c, f in BROKEN], ids=[n for n, _, _ in BROKEN])
def test_a_broken_rule_names_the_file_and_field(tmp_path: Path, change: Callable[[dict[str, Any]], None],
                                                 field: str) -> None:
    data = copy.deepcopy(EXAMPLE)
    change(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RecordingFormatError) as info:
        validate(path)
    assert (info.value.path, info.value.field) == (path, field)
    assert str(path) in str(info.value) and field in str(info.value)


def test_a_file_that_is_not_json_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(RecordingFormatError) as info:
        validate(path)
    assert info.value.field == "(file)"


def test_the_example_itself_is_valid(tmp_path: Path) -> None:
    # The broken cases above differ from a valid file by their one change only.
    path = tmp_path / "ok.json"
    path.write_text(json.dumps({**EXAMPLE, "format": 1}), encoding="utf-8")
    assert validate(path)["format"] == 1


def test_the_contract_refuses_an_invalid_recording(tmp_path: Path) -> None:
    """A scenario's file is checked when the contract loads it, so drift shows in the plugin's own run."""
    from modelplex_testing import ProviderContract

    bad = copy.deepcopy(EXAMPLE)
    bad["request"]["headers"]["authorization"] = "Bearer sk-x"
    (tmp_path / "leaky.json").write_text(json.dumps(bad), encoding="utf-8")

    class Kit(ProviderContract):
        provider = "openai"
        fixtures = tmp_path

    with pytest.raises(RecordingFormatError, match=r"request\.headers\.authorization"):
        Kit().recording("leaky")
