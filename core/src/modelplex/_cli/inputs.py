"""What ``chat`` reads from the user: ``-o key=value`` options, a ``--tools`` file, the prompt."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from modelplex import ResponseFormat, Tool, ToolChoice

_NOT_OPTIONS = {"tools": "give tools with --tools FILE",
                "extra": "give provider-specific settings directly, e.g. -o top_k=40",
                "include_raw": "the command line does not show raw provider responses"}
_TOOL_KEYS = ("name", "description", "parameters", "strict")


class InputError(click.UsageError):
    """Input the command cannot use (an option value, the tools file, the prompt): exit code 2."""


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _bad(key: str, message: str) -> InputError:
    return InputError(f"-o {key}: {message}")


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(key, f"must be a number, got {value!r}")
    return float(value)


def _integer(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(key, f"must be a whole number, got {value!r}")
    return value


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(key, f"must be true or false, got {value!r}")
    return value


def _stop(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _bad(key, f"must be a string or a JSON list of strings, got {value!r}")


def _response_format(key: str, value: Any) -> ResponseFormat:
    from modelplex import ResponseFormat

    if isinstance(value, str):
        value = {"type": value}
    if not isinstance(value, dict):
        raise _bad(key, f"must be 'text', 'json_object' or a JSON object, got {value!r}")
    if "schema" in value and "type" not in value:
        value = {"type": "json_schema", **value}
    if value.get("type") not in ("text", "json_object", "json_schema"):
        raise _bad(key, "type must be 'text', 'json_object' or 'json_schema', got "
                        f"{value.get('type')!r}")
    try:
        return ResponseFormat(**value)
    except (TypeError, ValueError) as exc:
        raise _bad(key, str(exc)) from None


def _tool_choice(key: str, value: Any) -> ToolChoice:
    from modelplex import ToolChoice
    from modelplex.errors import ToolError

    modes: dict[str, Callable[[], ToolChoice]] = {
        "auto": ToolChoice.auto, "none": ToolChoice.none, "required": ToolChoice.required}
    try:
        if isinstance(value, str):
            return modes[value]() if value in modes else ToolChoice.tool(value)
        if isinstance(value, dict):
            return ToolChoice(**value)
    except (TypeError, ToolError) as exc:
        raise _bad(key, str(exc)) from None
    raise _bad(key, f"must be auto, none, required or a tool name, got {value!r}")


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "temperature": _number, "top_p": _number, "max_tokens": _integer, "seed": _integer,
    "stop": _stop, "response_format": _response_format, "tool_choice": _tool_choice,
    "parallel_tool_calls": _boolean,
}


def parse_value(raw: str) -> Any:
    """JSON when it parses (``0.2``, ``50``, ``["x"]``, ``true``), else the text as it is."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_options(pairs: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``-o`` pairs -> (chat options by name, provider extras). The later of two pairs wins."""
    options: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"-o: expected key=value, got {pair!r}")
        name = key.replace("-", "_")
        if name in _NOT_OPTIONS:
            raise _bad(key, _NOT_OPTIONS[name])
        value = parse_value(raw)
        if name in _CHECKS:
            options[name] = None if value is None else _CHECKS[name](name, value)
        else:
            extra[key] = value
    return options, extra


# -- tools -----------------------------------------------------------------------------------------
def _tool_error(path: str, where: str, message: str) -> InputError:
    return InputError(f"tools file {path!r}: {where}: {message}" if where else
                            f"tools file {path!r}: {message}")


def _tool(path: str, index: int, item: Any) -> Tool:
    from modelplex import Tool
    from modelplex.errors import ToolError

    at = f"tools[{index}]"
    if not isinstance(item, dict):
        raise _tool_error(path, at, f"expected an object with 'name', 'description' and "
                                    f"'parameters', got {_kind(item)}")
    unknown = sorted(set(item) - set(_TOOL_KEYS))
    if unknown:
        raise _tool_error(path, f"{at}.{unknown[0]}", f"unknown field (expected "
                                                      f"{', '.join(_TOOL_KEYS)})")
    if "name" not in item:
        raise _tool_error(path, f"{at}.name", "missing")
    for key, kind, want in (("name", str, "a string"), ("description", str, "a string"),
                            ("parameters", dict, "a JSON Schema object"),
                            ("strict", bool, "true or false")):
        if key in item and not isinstance(item[key], kind):
            raise _tool_error(path, f"{at}.{key}", f"must be {want}, got {_kind(item[key])}")
    try:
        return Tool(**item)
    except ToolError as exc:
        field = f"{at}.{exc.field}" if exc.field else at
        message = exc.message.removeprefix(f"tool {item['name']!r}: ")
        raise _tool_error(path, field, message) from None


def load_tools(path: str) -> list[Tool]:
    """A JSON list of ``{"name", "description", "parameters"}`` objects -> tools, or a usage error
    naming the file and the offending field."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _tool_error(path, "", f"cannot read it: {reason}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _tool_error(path, "", f"not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise _tool_error(path, "", f"expected a JSON list of tools, got {_kind(data)}")
    tools = [_tool(path, i, item) for i, item in enumerate(data)]
    seen: set[str] = set()
    for i, tool in enumerate(tools):
        if tool.name in seen:
            raise _tool_error(path, f"tools[{i}].name", f"duplicate tool name {tool.name!r}")
        seen.add(tool.name)
    return tools


def check_tool_choice(options: Mapping[str, Any], tools: list[Tool]) -> None:
    """A tool_choice naming a tool that was not given is a mistake to say before any request."""
    choice = options.get("tool_choice")
    name = getattr(choice, "name", None)
    if name is not None and name not in {t.name for t in tools}:
        given = ", ".join(t.name for t in tools) or "none; give them with --tools FILE"
        raise _bad("tool_choice", f"names tool {name!r}, which is not among the tools given "
                                  f"({given})")
    mode = getattr(choice, "mode", None)
    if mode == "required" and not tools:
        raise _bad("tool_choice", "'required' needs tools: give them with --tools FILE")


def read_prompt(prompt: str | None) -> str:
    """The prompt argument, or else standard input unless that is a terminal."""
    if prompt is None:
        stdin = sys.stdin
        if stdin is None or stdin.isatty():
            raise InputError("no prompt: give it as an argument or pipe it on stdin")
        prompt = stdin.read()
        if prompt.endswith("\n"):
            prompt = prompt[:-1].removesuffix("\r")
    if not prompt.strip():
        raise InputError("the prompt is empty")
    return prompt
