"""JSON Schema to the OpenAPI 3.0 subset the Gemini API takes (``parameters``, ``responseSchema``),
and back.

Gemini's ``Schema`` (v1beta) has ``type`` (one of ``STRING NUMBER INTEGER BOOLEAN ARRAY OBJECT``),
``format``, ``title``, ``description``, ``nullable``, ``enum`` (strings only), ``items``,
``properties``, ``required``, ``anyOf``, ``propertyOrdering``, ``default``, ``example`` and the
numeric, length, item and property bounds. Everything else is refused with HTTP 400 ("Unknown name
..."). So :func:`translate`:

* resolves ``$ref`` (any ``#/...`` pointer, ``$defs`` and ``definitions`` included) by inlining it,
  and cuts a recursive reference where it recurs, keeping the node's type, with a warning;
* rewrites without loss what has a Gemini spelling: a type list (``["string", "null"]``) and
  ``anyOf`` with ``{"type": "null"}`` become ``nullable``, a string ``const`` a one-value ``enum``,
  a one-item ``allOf`` is merged, ``examples: [x]`` becomes ``example: x``;
* drops, with one :class:`~modelplex.ProviderWarning` per keyword naming the subject (the tool) and
  the JSON path, what it cannot say: ``additionalProperties``, ``$schema``, ``$id``,
  ``exclusiveMinimum``, ``multipleOf``, ``oneOf`` (rewritten to ``anyOf``, warned), a ``format``
  the Developer API refuses (it takes ``enum`` and ``date-time`` for strings), non-string enums
  and constants, ``required`` names with no property, and every other keyword it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import ProviderWarning

DROPPED = "dropped-schema-keyword"
REWRITTEN = "rewritten-schema-keyword"

_TYPES = {"string": "STRING", "number": "NUMBER", "integer": "INTEGER", "boolean": "BOOLEAN",
          "array": "ARRAY", "object": "OBJECT"}
_GEMINI_TYPES = frozenset(_TYPES.values())
# Keywords Gemini's Schema takes as they are.
_KEPT = frozenset({"description", "title", "default", "example", "minItems", "maxItems", "minLength",
                   "maxLength", "minProperties", "maxProperties", "minimum", "maximum", "pattern",
                   "propertyOrdering"})
# Handled one by one below; "$defs" and "definitions" are read through "$ref" and not sent.
_HANDLED = frozenset({"type", "nullable", "const", "enum", "format", "anyOf", "oneOf", "allOf",
                      "properties", "required", "items", "examples", "$ref", "$defs", "definitions"})
_FORMATS = {"STRING": frozenset({"enum", "date-time"}), "NUMBER": frozenset({"float", "double"}),
            "INTEGER": frozenset({"int32", "int64"})}


def _key(path: str, key: str) -> str:
    return f"{path}.{key}"


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class _Translator:
    def __init__(self, root: Mapping[str, Any], base: str, subject: str) -> None:
        self.root = root
        self.base = base
        self.subject = subject
        self.warnings: dict[tuple[str, str], ProviderWarning] = {}
        self._expanding: list[str] = ["#"]  # the root is being expanded from the start

    def warn(self, code: str, path: str, reason: str) -> None:
        self.warnings.setdefault((code, path), ProviderWarning(
            code=code, field=path, message=f"{self.subject}: {reason} (at {path})"))

    # -- references ------------------------------------------------------------------------------
    def _pointer(self, ref: str) -> tuple[Any, str] | None:
        """The value ``ref`` (``#``, ``#/$defs/Name``, any JSON pointer) names, and its path."""
        if ref == "#":
            return self.root, self.base
        if not ref.startswith("#/"):
            return None
        node: Any = self.root
        path = self.base
        for token in ref[2:].split("/"):
            name = _unescape(token)
            if isinstance(node, Mapping) and name in node:
                node = node[name]
            elif isinstance(node, list) and name.isdigit() and int(name) < len(node):
                node = node[int(name)]
            else:
                return None
            path = _key(path, name)
        return node, path

    def _ref(self, schema: Mapping[str, Any], path: str) -> dict[str, Any]:
        ref = schema["$ref"]
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        outer = self.plain(siblings, path) if siblings else {}
        found = self._pointer(ref) if isinstance(ref, str) else None
        if found is None:
            self.warn(DROPPED, _key(path, "$ref"), f"$ref {ref!r} does not name a part of this schema, "
                      "so it was left out")
            return outer
        target, where = found
        if ref in self._expanding:
            self.warn(DROPPED, _key(path, "$ref"), f"$ref {ref!r} is recursive; Gemini takes no "
                      "references, so the recursion was cut here and the node keeps only its type")
            cut = {k: target[k] for k in ("type", "description")
                   if isinstance(target, Mapping) and k in target}
            return {**self.plain(cut, where), **outer}
        self._expanding.append(ref)
        try:
            inner = self.node(target, where)
        finally:
            self._expanding.pop()
        return {**(inner or {}), **outer}

    # -- one schema ------------------------------------------------------------------------------
    def node(self, schema: Any, path: str) -> dict[str, Any] | None:
        """The Gemini form of ``schema`` at ``path``, or ``None`` when it is no schema at all."""
        if schema is True:
            return {}
        if not isinstance(schema, Mapping):
            self.warn(DROPPED, path, f"{schema!r} is not a schema object, so it was left out")
            return None
        if "$ref" in schema:
            return self._ref(schema, path)
        return self.plain(schema, path)

    def _types(self, value: Any, path: str, out: dict[str, Any]) -> tuple[bool, list[str]]:
        """``(nullable, the Gemini types)`` of a ``type`` value (a name or a list of names)."""
        names = value if isinstance(value, list) else [value]
        nullable, found = False, []
        for name in names:
            if name == "null":
                nullable = True
            elif isinstance(name, str) and name in _TYPES:
                found.append(_TYPES[name])
            elif isinstance(name, str) and name in _GEMINI_TYPES:
                found.append(name)
            else:
                self.warn(DROPPED, _key(path, "type"), f"the type {name!r} is not one Gemini knows")
        if nullable and not found:
            self.warn(REWRITTEN, _key(path, "type"), "Gemini has no 'null' type: the value was made "
                      "nullable instead, so it may also take other values")
        if len(found) == 1:
            out["type"] = found[0]
        return nullable, found

    def _branches(self, schema: Mapping[str, Any], path: str) -> tuple[bool, list[dict[str, Any]]]:
        """``(nullable, translated branches)`` of ``anyOf`` (or ``oneOf``, which becomes one)."""
        key = "anyOf" if "anyOf" in schema else "oneOf"
        if "anyOf" in schema and "oneOf" in schema:
            self.warn(DROPPED, _key(path, "oneOf"), "Gemini takes no oneOf beside anyOf")
        elif key == "oneOf":
            self.warn(REWRITTEN, _key(path, "oneOf"), "oneOf was sent as anyOf: Gemini cannot require "
                      "that exactly one branch matches")
        items = schema[key]
        if not isinstance(items, list):
            self.warn(DROPPED, _key(path, key), f"{key} is not a list")
            return False, []
        nullable, out = False, []
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and item.get("type") in ("null", ["null"]) and set(item) <= {
                    "type", "description", "title"}:
                nullable = True
                continue
            translated = self.node(item, f"{path}.{key}[{i}]")
            if translated is not None:
                out.append(translated)
        return nullable, out

    def _enum(self, schema: Mapping[str, Any], path: str, out: dict[str, Any]) -> bool:
        """Sets ``out["enum"]`` from ``const`` or ``enum``; says whether ``null`` was allowed."""
        nullable = False
        if "const" in schema:
            const = schema["const"]
            if isinstance(const, str):
                out["enum"] = [const]
                out.setdefault("type", "STRING")
            else:
                self.warn(DROPPED, _key(path, "const"), f"Gemini takes only string constants, not "
                          f"{const!r}")
        if "enum" in schema:
            values = schema["enum"]
            if not isinstance(values, list):
                self.warn(DROPPED, _key(path, "enum"), "enum is not a list")
            elif "const" in schema and "enum" in out:
                self.warn(DROPPED, _key(path, "enum"), "enum beside const: the const was kept")
            else:
                nullable = None in values
                strings = [v for v in values if v is not None]
                if all(isinstance(v, str) for v in strings):
                    out["enum"] = strings
                    if "type" not in schema:  # Gemini takes an enum on strings: say so
                        out["type"] = "STRING"
                else:
                    self.warn(DROPPED, _key(path, "enum"), "Gemini takes only string enum values")
        return nullable

    def _object(self, schema: Mapping[str, Any], path: str, out: dict[str, Any]) -> None:
        props = schema.get("properties")
        if "properties" in schema:
            if isinstance(props, Mapping):
                out["properties"] = {}
                for name, sub in props.items():
                    translated = self.node(sub, f"{path}.properties.{name}")
                    if translated is not None:
                        out["properties"][name] = translated
            else:
                self.warn(DROPPED, _key(path, "properties"), "properties is not an object")
        if "required" in schema:
            required = schema["required"]
            known = out.get("properties", {})
            if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
                self.warn(DROPPED, _key(path, "required"), "required is not a list of names")
            else:
                missing = [r for r in required if r not in known]
                if missing:
                    self.warn(DROPPED, _key(path, "required"), f"Gemini refuses required names with "
                              f"no property: {', '.join(map(repr, missing))} left out")
                out["required"] = [r for r in required if r in known]

    def _items(self, schema: Mapping[str, Any], path: str, out: dict[str, Any]) -> None:
        items = schema["items"]
        if isinstance(items, list):
            self.warn(DROPPED, _key(path, "items"), "Gemini takes no tuple of item schemas")
            return
        translated = self.node(items, _key(path, "items"))
        if translated is not None:
            out["items"] = translated

    def _format(self, schema: Mapping[str, Any], path: str, out: dict[str, Any]) -> None:
        fmt = schema["format"]
        allowed = _FORMATS.get(out.get("type", ""), frozenset())
        if fmt in allowed:
            out["format"] = fmt
        else:
            what = out.get("type", "a schema without a type").lower()
            self.warn(DROPPED, _key(path, "format"), f"Gemini refuses the format {fmt!r} for {what} "
                      f"(it takes {', '.join(sorted(allowed)) or 'none'})")

    def _examples(self, schema: Mapping[str, Any], path: str, out: dict[str, Any]) -> None:
        examples = schema["examples"]
        if not isinstance(examples, list):
            self.warn(DROPPED, _key(path, "examples"), "examples is not a list")
        elif "example" in schema:
            self.warn(DROPPED, _key(path, "examples"), "examples beside example: example was kept")
        elif examples:
            out["example"] = examples[0]
            if len(examples) > 1:
                self.warn(REWRITTEN, _key(path, "examples"), "Gemini takes one example: only the "
                          "first was kept")

    def plain(self, schema: Mapping[str, Any], path: str) -> dict[str, Any]:
        """A schema without ``$ref`` at its top."""
        out: dict[str, Any] = {}
        nullable, types = self._types(schema["type"], path, out) if "type" in schema else (False, [])
        nullable = self._enum(schema, path, out) or nullable
        merged: list[dict[str, Any]] = []
        if "anyOf" in schema or "oneOf" in schema:
            null_branch, branches = self._branches(schema, path)
            nullable = nullable or null_branch
            if len(types) > 1:
                self.warn(DROPPED, _key(path, "type"), "a list of types beside anyOf was left out")
            if len(branches) == 1:
                merged.append(branches[0])
            elif branches:
                out["anyOf"] = branches
        elif len(types) > 1:
            out["anyOf"] = [{"type": t} for t in types]
        if "allOf" in schema:
            parts = schema["allOf"]
            if isinstance(parts, list) and len(parts) == 1:
                translated = self.node(parts[0], f"{path}.allOf[0]")
                merged += [translated] if translated is not None else []
            else:
                self.warn(DROPPED, _key(path, "allOf"), "Gemini has no allOf (only a one-item allOf "
                          "can be merged)")
        self._object(schema, path, out)
        if "items" in schema:
            self._items(schema, path, out)
        if "format" in schema:
            self._format(schema, path, out)
        if "examples" in schema:
            self._examples(schema, path, out)
        for key, value in schema.items():
            if key in _KEPT:
                out[key] = value
            elif key not in _HANDLED:
                self.warn(DROPPED, _key(path, key), f"Gemini takes no {key!r}, so it was left out")
        if schema.get("nullable") is True or nullable:
            out["nullable"] = True
        elif "nullable" in schema:
            out["nullable"] = schema["nullable"]
        for branch in merged:
            out = {**branch, **out}
        return out


def translate(schema: Mapping[str, Any], *, field: str, subject: str) -> tuple[dict[str, Any],
                                                                                list[ProviderWarning]]:
    """``schema`` in the form Gemini takes, and a warning for each keyword dropped or rewritten with
    a loss. ``field`` is the path warnings start from (``tools.NAME.parameters``); ``subject`` names
    what the schema belongs to in their messages (``tool 'NAME'``)."""
    translator = _Translator(schema, field, subject)
    out = translator.node(schema, field)
    return out or {}, list(translator.warnings.values())


def to_json_schema(schema: Any) -> Any:
    """A Gemini schema as JSON Schema: lower-case types, ``nullable`` as a ``null`` type,
    ``example`` as ``examples``."""
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out["type"] = value.lower()
        elif key == "properties" and isinstance(value, Mapping):
            out["properties"] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in ("items",):
            out[key] = to_json_schema(value)
        elif key == "anyOf" and isinstance(value, list):
            out["anyOf"] = [to_json_schema(sub) for sub in value]
        elif key == "example":
            out["examples"] = [value]
        elif key != "nullable":
            out[key] = value
    if schema.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
        else:
            out["type"] = "null"
    return out
