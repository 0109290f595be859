"""The canonical tool and tool choice, the one format every provider codec translates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, TypeAlias

import attrs

from modelplex._checks import json_object
from modelplex._json import JSON
from modelplex.errors import InvalidRequestError, ToolSchemaError

# What every provider accepts, so one tool list goes anywhere: OpenAI and Anthropic take [A-Za-z0-9_-] (no
# dots), Gemini wants a letter or underscore first; 64 is OpenAI's limit.
# `\Z`, not `$`: `$` also matches before a trailing newline, which would let "name\n" through.
TOOL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}\Z")
_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def _check_name(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not TOOL_NAME.match(value):
        raise ToolSchemaError(
            f"tool name {value!r} is invalid: use 1-64 letters, digits, '_' or '-', "
            "starting with a letter or '_'",
            field="name",
        )


def _check_schema(instance: Tool, _: attrs.Attribute[Mapping[str, JSON]],
                  value: Mapping[str, JSON]) -> None:
    if not isinstance(value, Mapping):
        raise ToolSchemaError(f"tool {instance.name!r}: 'parameters' must be a JSON Schema object, "
                              f"not {type(value).__name__}", field="parameters", tool=instance.name)
    kind = value.get("type", "object")
    if kind != "object":
        raise ToolSchemaError(f"tool {instance.name!r}: 'parameters.type' must be 'object' (the arguments "
                              f"are a JSON object), got {kind!r}", field="parameters.type",
                              tool=instance.name)
    props = value.get("properties", {})
    if not isinstance(props, Mapping):
        raise ToolSchemaError(f"tool {instance.name!r}: 'parameters.properties' must be an object",
                              field="parameters.properties", tool=instance.name)
    for key, sub in props.items():
        if not isinstance(sub, Mapping):
            raise ToolSchemaError(f"tool {instance.name!r}: 'parameters.properties.{key}' must be a schema "
                                  "object", field=f"parameters.properties.{key}", tool=instance.name)
        t = sub.get("type")
        bad = [x for x in (t if isinstance(t, list) else [t]) if x is not None and x not in _JSON_TYPES]
        if bad:
            raise ToolSchemaError(f"tool {instance.name!r}: 'parameters.properties.{key}.type' has unknown "
                                  f"JSON type {bad[0]!r}", field=f"parameters.properties.{key}.type",
                                  tool=instance.name)
    required = value.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise ToolSchemaError(f"tool {instance.name!r}: 'parameters.required' must be a list of names",
                              field="parameters.required", tool=instance.name)
    try:
        json_object("parameters", value)
    except InvalidRequestError as exc:  # the same finding, under the tool's own error
        raise ToolSchemaError(f"tool {instance.name!r}: {exc}", field=exc.field,
                              tool=instance.name) from None


def _object_schema(value: Mapping[str, JSON]) -> Mapping[str, JSON]:
    # Anthropic rejects a schema without "type" (litellm #21584): make the implicit object explicit once.
    if isinstance(value, Mapping) and "type" not in value:
        return {"type": "object", **value}
    return value


@attrs.frozen(kw_only=True)
class Tool:
    """A function the model may call: a name, a description and a JSON Schema for its arguments."""

    name: str = attrs.field(validator=_check_name)
    description: str = ""
    parameters: Mapping[str, JSON] = attrs.field(
        factory=lambda: {"type": "object", "properties": {}},
        converter=_object_schema, validator=_check_schema,
    )
    strict: bool | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.description, str):
            raise ToolSchemaError(f"tool {self.name!r}: 'description' must be a str, not "
                                  f"{type(self.description).__name__}", field="description",
                                  tool=self.name)
        if self.strict is not None and not isinstance(self.strict, bool):
            raise ToolSchemaError(f"tool {self.name!r}: 'strict' must be a bool or None, not "
                                  f"{type(self.strict).__name__}", field="strict", tool=self.name)


ToolChoiceMode: TypeAlias = Literal["auto", "none", "required", "tool"]
_MODES = ("auto", "none", "required", "tool")


@attrs.frozen(kw_only=True)
class ToolChoice:
    """auto (the model decides), none, required (some tool), or tool (the one named)."""

    mode: ToolChoiceMode = "auto"
    name: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.mode, str) or self.mode not in _MODES:
            raise ToolSchemaError(f"tool_choice: 'mode' must be one of {', '.join(map(repr, _MODES))}, "
                                  f"got {self.mode!r}", field="tool_choice.mode")
        if self.name is not None and not isinstance(self.name, str):
            raise ToolSchemaError(f"tool_choice: 'name' must be a tool's name, got "
                                  f"{type(self.name).__name__}", field="tool_choice.name")
        if (self.mode == "tool") != (self.name is not None):
            raise ToolSchemaError("tool_choice: 'name' is given with mode 'tool' and only then",
                                  field="tool_choice.name")

    @classmethod
    def auto(cls) -> ToolChoice:
        return cls(mode="auto")

    @classmethod
    def none(cls) -> ToolChoice:
        return cls(mode="none")

    @classmethod
    def required(cls) -> ToolChoice:
        return cls(mode="required")

    @classmethod
    def tool(cls, name: str) -> ToolChoice:
        return cls(mode="tool", name=name)
