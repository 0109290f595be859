"""JSON Schema to Gemini's subset: references, rewrites, every dropped keyword warned with its path."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from modelplex_gemini.schema import DROPPED, REWRITTEN, to_json_schema, translate

from modelplex_testing import strategies as mst

BASE = "tools.t.parameters"


def tr(schema: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    out, warnings = translate(schema, field=BASE, subject="tool 't'")
    for w in warnings:
        assert w.message.startswith("tool 't': ") and w.message.endswith(f"(at {w.field})")
    return out, [(w.code, w.field or "") for w in warnings]


def test_types_are_upper_case_and_supported_keywords_stay() -> None:
    schema = {"type": "object", "title": "T", "description": "d", "properties": {
        "n": {"type": "integer", "minimum": 1, "maximum": 9, "default": 3, "format": "int64"},
        "s": {"type": "string", "enum": ["a", "b"], "pattern": "^[ab]$", "minLength": 1,
              "maxLength": 1, "format": "date-time", "example": "a"},
        "l": {"type": "array", "items": {"type": "number", "format": "double"}, "minItems": 1,
              "maxItems": 3},
        "b": {"type": "boolean", "nullable": True}},
        "required": ["n"], "minProperties": 1, "maxProperties": 4, "propertyOrdering": ["n", "s"]}
    out, warnings = tr(schema)
    assert warnings == []
    assert out == {**schema, "type": "OBJECT", "properties": {
        "n": {**schema["properties"]["n"], "type": "INTEGER"},
        "s": {**schema["properties"]["s"], "type": "STRING"},
        "l": {**schema["properties"]["l"], "type": "ARRAY",
              "items": {"type": "NUMBER", "format": "double"}},
        "b": {"type": "BOOLEAN", "nullable": True}}}


def test_additional_properties_is_dropped_with_a_warning_naming_the_path() -> None:
    out, warnings = tr({"type": "object", "additionalProperties": False, "properties": {
        "inner": {"type": "object", "additionalProperties": {"type": "string"},
                  "properties": {"x": {"type": "string"}}}}})
    assert out == {"type": "OBJECT", "properties": {"inner": {"type": "OBJECT", "properties": {
        "x": {"type": "STRING"}}}}}
    assert sorted(warnings) == [(DROPPED, f"{BASE}.additionalProperties"),
                                (DROPPED, f"{BASE}.properties.inner.additionalProperties")]


def test_refs_and_defs_are_inlined() -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "$defs": {"Address": {"type": "object", "properties": {
                  "city": {"type": "string"}, "country": {"$ref": "#/$defs/Country"}},
                  "required": ["city"]},
                  "Country": {"type": "string", "enum": ["DE", "FR"]}},
              "definitions": {"Legacy": {"type": "integer"}},
              "properties": {"home": {"$ref": "#/$defs/Address", "description": "where I live"},
                             "work": {"$ref": "#/$defs/Address"},
                             "count": {"$ref": "#/definitions/Legacy"},
                             "list": {"type": "array", "items": {"$ref": "#/$defs/Country"}}}}
    out, warnings = tr(schema)
    address = {"type": "OBJECT", "required": ["city"], "properties": {
        "city": {"type": "STRING"}, "country": {"type": "STRING", "enum": ["DE", "FR"]}}}
    assert out == {"type": "OBJECT", "properties": {
        "home": {**address, "description": "where I live"}, "work": address,
        "count": {"type": "INTEGER"},
        "list": {"type": "ARRAY", "items": {"type": "STRING", "enum": ["DE", "FR"]}}}}
    assert warnings == [(DROPPED, f"{BASE}.$schema")]


def test_warnings_inside_definitions_name_the_definition_once() -> None:
    schema = {"type": "object", "$defs": {"P": {"type": "object", "additionalProperties": False,
                                                "properties": {"x": {"type": "number",
                                                                     "multipleOf": 2}}}},
              "properties": {"a": {"$ref": "#/$defs/P"}, "b": {"$ref": "#/$defs/P"}}}
    _, warnings = tr(schema)
    assert sorted(warnings) == [(DROPPED, f"{BASE}.$defs.P.additionalProperties"),
                                (DROPPED, f"{BASE}.$defs.P.properties.x.multipleOf")]


def test_a_recursive_ref_is_cut_with_a_warning_and_does_not_loop() -> None:
    tree = {"type": "object", "$defs": {"Node": {"type": "object", "description": "a node",
                                                 "properties": {
                                                     "value": {"type": "string"},
                                                     "children": {"type": "array",
                                                                  "items": {"$ref": "#/$defs/Node"}}}}},
            "properties": {"root": {"$ref": "#/$defs/Node"}}}
    out, warnings = tr(tree)
    node = out["properties"]["root"]
    assert node["properties"]["value"] == {"type": "STRING"}
    assert node["properties"]["children"] == {"type": "ARRAY", "items": {"type": "OBJECT",
                                                                         "description": "a node"}}
    assert warnings == [(DROPPED, f"{BASE}.$defs.Node.properties.children.items.$ref")]


def test_mutual_and_root_recursion_are_cut_too() -> None:
    schema = {"type": "object", "$defs": {
        "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
        "B": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}}},
        "properties": {"start": {"$ref": "#/$defs/A"}, "self": {"$ref": "#"}}}
    out, warnings = tr(schema)
    assert out["properties"]["start"] == {"type": "OBJECT", "properties": {"b": {
        "type": "OBJECT", "properties": {"a": {"type": "OBJECT"}}}}}
    assert out["properties"]["self"] == {"type": "OBJECT"}
    assert warnings == [(DROPPED, f"{BASE}.$defs.B.properties.a.$ref"),
                        (DROPPED, f"{BASE}.properties.self.$ref")]


def test_a_nested_recursive_schema_of_depth_many_terminates() -> None:
    defs = {f"D{i}": {"type": "object", "properties": {"next": {"$ref": f"#/$defs/D{(i + 1) % 30}"}}}
            for i in range(30)}
    out, warnings = tr({"type": "object", "$defs": defs, "properties": {"x": {"$ref": "#/$defs/D0"}}})
    depth, node = 0, out["properties"]["x"]
    while "properties" in node:
        node, depth = node["properties"]["next"], depth + 1
    assert depth == 30 and len(warnings) == 1


def test_unresolvable_refs_are_dropped_with_a_warning() -> None:
    out, warnings = tr({"type": "object", "properties": {
        "a": {"$ref": "#/$defs/Missing", "description": "kept"},
        "b": {"$ref": "https://example.com/schema.json"}}})
    assert out["properties"] == {"a": {"description": "kept"}, "b": {}}
    assert warnings == [(DROPPED, f"{BASE}.properties.a.$ref"), (DROPPED, f"{BASE}.properties.b.$ref")]


def test_null_unions_become_nullable_without_warnings() -> None:
    out, warnings = tr({"type": "object", "properties": {
        "a": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "A"},
        "b": {"type": ["integer", "null"]},
        "c": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}]},
        "d": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
        "e": {"enum": ["x", None]}},
        "$defs": {"X": {"type": "object", "properties": {"q": {"type": "boolean"}}}}})
    assert warnings == []
    assert out["properties"] == {
        "a": {"type": "STRING", "nullable": True, "default": None, "title": "A"},
        "b": {"type": "INTEGER", "nullable": True},
        "c": {"type": "OBJECT", "properties": {"q": {"type": "BOOLEAN"}}, "nullable": True},
        "d": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}], "nullable": True},
        "e": {"type": "STRING", "enum": ["x"], "nullable": True}}


def test_rewrites_and_drops() -> None:
    out, warnings = tr({"type": "object", "properties": {
        "const": {"const": "fixed"},
        "num_const": {"type": "integer", "const": 3},
        "one_of": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "all_of": {"allOf": [{"type": "string", "description": "s"}]},
        "all_of_many": {"allOf": [{"type": "string"}, {"minLength": 2}]},
        "types": {"type": ["string", "integer"]},
        "examples": {"type": "string", "examples": ["a", "b"]},
        "example": {"type": "string", "examples": ["only"]},
        "email": {"type": "string", "format": "email"},
        "bounds": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
        "int_enum": {"type": "integer", "enum": [1, 2]},
        "tuple": {"type": "array", "items": [{"type": "string"}]},
        "null": {"type": "null"},
        "unknown_type": {"type": "date"},
        "bad": 5},
        "required": ["const", "ghost"], "$id": "urn:x", "x-extension": True})
    assert out["properties"] == {
        "const": {"type": "STRING", "enum": ["fixed"]},
        "num_const": {"type": "INTEGER"},
        "one_of": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]},
        "all_of": {"type": "STRING", "description": "s"},
        "all_of_many": {},
        "types": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]},
        "examples": {"type": "STRING", "example": "a"},
        "example": {"type": "STRING", "example": "only"},
        "email": {"type": "STRING"},
        "bounds": {"type": "NUMBER"},
        "int_enum": {"type": "INTEGER"},
        "tuple": {"type": "ARRAY"},
        "null": {"nullable": True},
        "unknown_type": {}}
    assert out["required"] == ["const"]
    p = f"{BASE}.properties"
    assert sorted(warnings) == sorted([
        (DROPPED, f"{p}.num_const.const"), (REWRITTEN, f"{p}.one_of.oneOf"),
        (DROPPED, f"{p}.all_of_many.allOf"), (REWRITTEN, f"{p}.examples.examples"),
        (DROPPED, f"{p}.email.format"), (DROPPED, f"{p}.bounds.exclusiveMinimum"),
        (DROPPED, f"{p}.bounds.multipleOf"), (DROPPED, f"{p}.int_enum.enum"),
        (DROPPED, f"{p}.tuple.items"), (REWRITTEN, f"{p}.null.type"),
        (DROPPED, f"{p}.unknown_type.type"), (DROPPED, f"{p}.bad"),
        (DROPPED, f"{BASE}.required"), (DROPPED, f"{BASE}.$id"), (DROPPED, f"{BASE}.x-extension")])


def test_the_input_is_not_changed() -> None:
    schema = {"type": "object", "$defs": {"X": {"type": "string"}}, "additionalProperties": False,
              "properties": {"a": {"$ref": "#/$defs/X"}, "b": {"anyOf": [{"type": "null"},
                                                                         {"type": "string"}]}}}
    before = copy.deepcopy(schema)
    tr(schema)
    assert schema == before


def test_back_to_json_schema() -> None:
    assert to_json_schema({"type": "OBJECT", "properties": {
        "a": {"type": "STRING", "nullable": True, "example": "x"},
        "b": {"anyOf": [{"type": "INTEGER"}], "nullable": True},
        "c": {"nullable": True}, "d": {"type": "ARRAY", "items": {"type": "BOOLEAN"},
                                       "nullable": False}}}) == {
        "type": "object", "properties": {
            "a": {"type": ["string", "null"], "examples": ["x"]},
            "b": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "c": {"type": "null"}, "d": {"type": "array", "items": {"type": "boolean"}}}}


# -- properties ------------------------------------------------------------------------------------

# Keywords Gemini refuses, each with a value, that the translation must drop (and say so).
REFUSED = st.sampled_from([("additionalProperties", False), ("additionalProperties", True),
                           ("$schema", "https://json-schema.org/draft/2020-12/schema"),
                           ("$id", "urn:t"), ("$comment", "c"), ("exclusiveMinimum", 0),
                           ("exclusiveMaximum", 10), ("multipleOf", 2), ("uniqueItems", True),
                           ("patternProperties", {"^x": {}}), ("not", {"type": "string"}),
                           ("readOnly", True), ("deprecated", False), ("contentEncoding", "base64"),
                           ("dependentRequired", {}), ("x-vendor", 1)])


def _nodes(schema: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    """Every schema object in a strategy-made schema, with its path."""
    found = [(path, schema)]
    for name, sub in schema.get("properties", {}).items():
        found += _nodes(sub, f"{path}.properties.{name}")
    if isinstance(schema.get("items"), dict):
        found += _nodes(schema["items"], f"{path}.items")
    return found


def _remove(schema: dict[str, Any], field: str) -> None:
    """Removes the keyword at ``field`` (a path made by the translation) from ``schema``."""
    steps = field.removeprefix(BASE + ".").split(".")
    node = schema
    for step in steps[:-1]:
        node = node[step]
    del node[steps[-1]]


def _gemini_form(schema: Any) -> Any:
    """What the translation makes of a schema it takes whole: upper-case types, nothing else."""
    if not isinstance(schema, dict):
        return schema
    out = {k: _gemini_form(v) if k == "items" else v for k, v in schema.items()}
    if "type" in out:
        out["type"] = out["type"].upper()
    if "properties" in out:
        out["properties"] = {n: _gemini_form(s) for n, s in out["properties"].items()}
    return out


@given(mst.json_schemas(), st.data())
def test_schemas_round_trip_less_exactly_the_refused_keywords(schema: dict[str, Any],
                                                              data: st.DataObject) -> None:
    """Into any node of any strategy schema, put keywords Gemini refuses: the warnings name exactly
    the keywords dropped, and the way back gives the schema less exactly those."""
    nodes = _nodes(schema, BASE)
    injected = json.loads(json.dumps(schema))  # not deepcopy: the strategy shares sub-schemas
    by_path = dict(_nodes(injected, BASE))
    # The strategy itself draws "additionalProperties": false on some objects.
    planted = {f"{path}.additionalProperties" for path, node in nodes if "additionalProperties" in node}
    for path, _ in data.draw(st.lists(st.sampled_from(nodes), max_size=4)):
        key, value = data.draw(REFUSED)
        by_path[path][key] = value
        planted.add(f"{path}.{key}")
    expected = copy.deepcopy(injected)
    out, warnings = tr(injected)
    assert {code for code, _ in warnings} <= {DROPPED}
    assert {field for _, field in warnings} == planted
    for field in sorted(planted, key=len, reverse=True):
        _remove(expected, field)
    assert out == _gemini_form(expected)
    assert to_json_schema(json.loads(json.dumps(out))) == expected
    assert all(re.fullmatch(r"[A-Z]+", n["type"]) for _, n in _nodes(out, BASE) if "type" in n)


@given(mst.json_schemas())
def test_translation_is_idempotent_in_effect(schema: dict[str, Any]) -> None:
    """What the translation made is a schema it takes whole a second time."""
    out, _ = tr(schema)
    again, warnings = tr(to_json_schema(out))
    assert warnings == [] and again == out
