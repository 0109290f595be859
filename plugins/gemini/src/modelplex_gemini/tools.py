"""The tool codec for the Gemini API (``format = "gemini"``): ``functionDeclarations``,
``toolConfig.functionCallingConfig``, ``functionCall`` and ``functionResponse`` parts; and the ids
Modelplex gives calls that Gemini sent without one."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from modelplex import ProviderWarning, Tool, ToolCallPart, ToolChoice, ToolResultPart
from modelplex.errors import ToolSchemaError
from modelplex.toolkit import encode_each
from modelplex_gemini.schema import to_json_schema, translate

FORMAT = "gemini"
_GENERATED = re.compile(r"call_\d+_[0-9a-f]{12}\Z")
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def call_id(response_id: str, index: int, name: str) -> str:
    """A stable id for the ``index``-th call of a reply that came without one: the same reply gives
    the same ids, two replies (told apart by Gemini's ``responseId``) different ones. It carries no
    provider data and matches ``^[A-Za-z0-9_-]+$``."""
    digest = hashlib.sha256(f"{response_id}\0{index}\0{name}".encode()).hexdigest()[:12]
    return f"call_{index}_{digest}"


def is_generated(id_: str) -> bool:
    """Whether Modelplex made ``id_`` up (:func:`call_id`): such ids are never sent to Gemini."""
    return bool(_GENERATED.match(id_))


def usable_id(value: Any) -> bool:
    """An id Gemini gave that can be a tool-call id everywhere (``^[A-Za-z0-9_-]{1,64}$``)."""
    return isinstance(value, str) and bool(_PLAIN_ID.match(value))


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_object(text: str) -> dict[str, Any] | None:
    """``text`` as a JSON object, or ``None``; NaN and Infinity are not JSON (they would make the
    request body invalid), so such text stays text."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _unwrapped(response: Mapping[str, Any]) -> tuple[str, bool] | None:
    """``(text, is_error)`` of a response this codec wraps: ``{"output": str}``, ``{"error": str}``."""
    if len(response) == 1:
        (key, value), = response.items()
        if key in ("output", "error") and isinstance(value, str):
            return value, key == "error"
    return None


class GeminiToolCodec:
    """Canonical tools, tool choice, calls and results to and from the Gemini API's JSON.

    Schemas are translated to Gemini's subset (:mod:`modelplex_gemini.schema`); each keyword
    dropped is warned about. ``strict=True`` is warned about (Gemini has no per-tool flag).
    Tool choice: ``auto`` -> ``AUTO``, ``none`` -> ``NONE``, ``required`` -> ``ANY``, a named tool
    -> ``ANY`` with ``allowedFunctionNames: [name]``.

    A call is a ``functionCall`` part with its ``id``; its ``signature`` travels as the part's
    ``thoughtSignature``. What the wire cannot carry: a call's ``origin``, and ``raw_arguments``
    (Gemini's ``args`` is always an object, so unparsed arguments go as ``{}``).

    A result is a ``functionResponse`` part: ``{"output": content}``, or ``{"error": content}`` for
    an error; content that is a JSON object (and not one of those two shapes) is sent as the
    response object itself, as Gemini prefers, and comes back re-serialised.
    """

    format = FORMAT

    def __init__(self, provider: str | None = None) -> None:
        self.provider = provider

    # -- tools -----------------------------------------------------------------------------------
    def encode_tool(self, tool: Tool) -> tuple[dict[str, Any], list[ProviderWarning]]:
        params, warnings = translate(tool.parameters, field=f"tools.{tool.name}.parameters",
                                     subject=f"tool {tool.name!r}")
        if tool.strict:
            warnings.append(ProviderWarning(
                code="unsupported-setting", field=f"tools.{tool.name}.strict",
                message=f"Gemini has no per-tool 'strict' flag; {tool.name!r} was sent without it"))
        return {"name": tool.name, "description": tool.description, "parameters": params}, warnings

    def encode_tools(self, tools: Sequence[Tool]) -> tuple[Any, list[ProviderWarning]]:
        declarations, warnings = encode_each(tools, self.encode_tool)
        return ([{"functionDeclarations": declarations}] if declarations else []), warnings

    def decode_tools(self, wire: Any) -> list[Tool]:
        """Tools from a ``tools`` list (of ``{"functionDeclarations": [...]}``) or from a list of
        declarations; ``parametersJsonSchema`` is taken as the JSON Schema it already is."""
        out: list[Tool] = []
        for item in wire:
            declarations = item.get("functionDeclarations", item.get("function_declarations"))
            for decl in declarations if isinstance(declarations, list) else [item]:
                params = decl.get("parameters")
                if params is not None:
                    params = to_json_schema(params)
                else:
                    params = decl.get("parametersJsonSchema", decl.get("parameters_json_schema"))
                out.append(Tool(name=decl["name"], description=decl.get("description") or "",
                                parameters=params or {"type": "object", "properties": {}}))
        return out

    # -- tool choice -----------------------------------------------------------------------------
    def encode_tool_choice(self, choice: ToolChoice) -> tuple[Any, list[ProviderWarning]]:
        if choice.mode == "tool":
            return {"functionCallingConfig": {"mode": "ANY",
                                              "allowedFunctionNames": [choice.name]}}, []
        return {"functionCallingConfig": {"mode": _MODES[choice.mode]}}, []

    def decode_tool_choice(self, wire: Any) -> ToolChoice:
        config = wire.get("functionCallingConfig") if isinstance(wire, Mapping) else None
        mode = str(config.get("mode", "AUTO")).upper() if isinstance(config, Mapping) else None
        if mode == "ANY":
            names = config.get("allowedFunctionNames") if isinstance(config, Mapping) else None
            if isinstance(names, list) and len(names) == 1 and isinstance(names[0], str):
                return ToolChoice.tool(names[0])
            return ToolChoice.required()
        if mode in ("AUTO", "VALIDATED", "MODE_UNSPECIFIED"):
            return ToolChoice.auto()
        if mode == "NONE":
            return ToolChoice.none()
        raise ToolSchemaError(f"unknown toolConfig {wire!r}", field="tool_choice",
                              provider=self.provider)

    # -- calls and results -----------------------------------------------------------------------
    def encode_tool_call(self, call: ToolCallPart) -> Any:
        part: dict[str, Any] = {"functionCall": {"id": call.id, "name": call.name,
                                                 "args": dict(call.arguments)}}
        if call.signature is not None:
            part["thoughtSignature"] = call.signature
        return part

    def decode_tool_call(self, wire: Any) -> ToolCallPart:
        fc = wire.get("functionCall") or {}
        args = fc.get("args")
        raw = None if args is None or isinstance(args, Mapping) else json.dumps(args)
        signature = wire.get("thoughtSignature")
        return ToolCallPart(id=str(fc.get("id") or ""), name=str(fc.get("name") or ""),
                            arguments=dict(args) if isinstance(args, Mapping) else {},
                            raw_arguments=raw,
                            signature=signature if isinstance(signature, str) else None)

    def encode_tool_result(self, result: ToolResultPart) -> Any:
        response: dict[str, Any]
        obj = None if result.is_error else json_object(result.content)
        if obj is not None and _unwrapped(obj) is None:
            response = obj
        else:
            response = {"error" if result.is_error else "output": result.content}
        fr: dict[str, Any] = {"id": result.tool_call_id, "response": response}
        if result.name is not None:
            fr["name"] = result.name
        return {"functionResponse": fr}

    def decode_tool_result(self, wire: Any) -> ToolResultPart:
        fr = wire.get("functionResponse") or {}
        response = fr.get("response")
        plain = _unwrapped(response) if isinstance(response, Mapping) else None
        if plain is not None:
            content, is_error = plain
        else:
            content, is_error = json.dumps(response, ensure_ascii=False), False
        name = fr.get("name")
        return ToolResultPart(tool_call_id=str(fr.get("id") or ""), content=content,
                              name=name if isinstance(name, str) and name else None,
                              is_error=is_error)
