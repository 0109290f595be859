"""Judging a parser's answer to a reply broken one field at a time (:mod:`modelplex_testing.corrupt`).

A parser may read a field of the wrong type (it ignores it, or warns); what it must never do is fail
with the core's catch-all for a plugin that crashed, or blame another place than the one broken. Where
the wire format fixes a field's type, it must refuse another type naming exactly that field::

    TYPES = {"choices": {"array"}, "choices[*].delta": {"object", "null"}}
    for case in corruptions(body):
        outcome = ...  # None for a reply, else the exception, with case.data as the reply
        assert verdict(case, outcome, types=TYPES) is None

The rest is the machinery every plugin's test of this needs: the cases of a whole reply
(:func:`reply_cases`) or of a stream (:func:`sse_events`, :func:`stream_cases`, :func:`sse_reply`),
served in turn on the loopback wire to a real client (:func:`replay`), and judged (:func:`judge`)::

    cases = reply_cases(recorded_body, skip=("*logprobs*",))
    outcomes = replay(cases, lambda client: client.chat("acme/m-1", "hi"),
                      provider="acme", settings={"api_key": KEY})
    assert judge(outcomes, types=TYPES) == []
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import modelplex
from modelplex.errors import ResponseParseError
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.corrupt import Corruption, corruptions, path_text

T = TypeVar("T")
Event = tuple[str | None, Any]
"""One event of a stream: its SSE ``event:`` name (``None`` where it has none) and its data, as JSON
or, where that is not JSON (``[DONE]``), the text."""

# What corrupt.py put in place of a value, as JSON names it.
_JSON_TYPE = {"str": "string", "dict": "object", "list": "array", "int": "number", "bool": "boolean"}
_CATCH_ALL = "failed on the provider's response"


def json_type(value: Any) -> str:
    """The JSON name of ``value``'s type: object, array, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, Mapping) else "array"


def skipping(cases: Iterable[Corruption], patterns: Iterable[str]) -> Iterator[Corruption]:
    """``cases`` less those under a path that matches one of ``patterns`` (:func:`fnmatch.fnmatch`,
    ``*logprobs*``): fields no parser reads, where a corruption proves nothing but costs a replay."""
    patterns = tuple(patterns)
    return (case for case in cases
            if not any(fnmatch.fnmatchcase(case.where, pattern) for pattern in patterns))


def shape(value: Any, prefix: str = "") -> frozenset[str]:
    """The paths in ``value`` with indices left out: stream events of one shape (most text deltas)
    break the same ways, so a test breaks the first of each shape only."""
    if isinstance(value, Mapping):
        return frozenset({f"{prefix}.{key}" for key in value}).union(
            *(shape(inner, f"{prefix}.{key}") for key, inner in value.items()))
    if isinstance(value, list):
        return frozenset().union(*(shape(inner, f"{prefix}[]") for inner in value))
    return frozenset()


def matches(where: str, pattern: str) -> bool:
    """Whether the path ``where`` is ``pattern``, in which ``[*]`` stands for any one index
    (``choices[*].delta`` is ``choices[0].delta``, not ``choices[0].x.delta``)."""
    regex = re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]")
    return re.fullmatch(regex, where) is not None


def must_refuse(case: Corruption, types: Mapping[str, Iterable[str]],
                required: Iterable[str] = ()) -> bool:
    """Whether ``case`` breaks a field whose JSON type the format fixes (``types``: path pattern ->
    the types taken there), or removes a ``required`` key."""
    if case.how == "missing":
        return any(matches(case.where, pattern) for pattern in required)
    got = _JSON_TYPE[case.how]
    return any(matches(case.where, pattern) and got not in set(allowed)
               for pattern, allowed in types.items())


def verdict(case: Corruption, outcome: BaseException | None, *,
            types: Mapping[str, Iterable[str]] | None = None, required: Iterable[str] = ()) -> (
        str | None):
    """What is wrong with ``outcome`` (``None`` for a reply, else what was raised) as the answer to
    ``case``, or ``None`` if nothing is.

    Right answers: a reply, unless :func:`must_refuse`; or a
    :class:`~modelplex.errors.ResponseParseError` whose ``field`` (named in its message too) is the
    broken path or one above it, and exactly the broken path where :func:`must_refuse`.
    """
    what = f"{case.where} ({case.how})"
    strict = must_refuse(case, types or {}, required)
    if outcome is None:
        return f"{what}: read as if nothing were wrong" if strict else None
    if not isinstance(outcome, ResponseParseError):
        return f"{what}: {type(outcome).__name__}: {outcome}"
    text, field = str(outcome), outcome.field
    if _CATCH_ALL in text:
        return f"{what}: the catch-all: {text}"
    if not isinstance(field, str) or f"{field}:" not in text:
        return f"{what}: does not name the field: {text}"
    above = {path_text(case.path[:n]) for n in range(len(case.path) + 1)}
    if field not in above or (strict and field != case.where):
        return f"{what}: blames {field!r}: {text}"
    return None


def reply_cases(body: Any, *, skip: Iterable[str] = (), missing: bool = True) -> (
        list[tuple[Corruption, Reply]]):
    """Each corruption of a whole JSON reply ``body`` (less those under ``skip``, see
    :func:`skipping`; without removed keys unless ``missing``), with the reply that serves it."""
    return [(case, Reply.json(case.data))
            for case in skipping(corruptions(body, missing=missing), skip)]


def sse_events(body_text: str) -> list[Event]:
    """The events of a recorded SSE body, in order: each one's ``event:`` name (``None`` if it has
    none) and its ``data:``, decoded where it is JSON."""
    out: list[Event] = []
    kind: str | None = None
    for line in [*body_text.splitlines(), ""]:
        if line.startswith("event:"):
            kind = line[len("event:"):].strip()
        elif line.startswith("data:"):
            text = line[len("data:"):].strip()
            try:
                out.append((kind, json.loads(text)))
            except ValueError:  # [DONE], and whatever else a stream ends with
                out.append((kind, text))
        elif not line.strip():
            kind = None  # a blank line ends the event
    return out


def sse_reply(events: Sequence[Event]) -> Reply:
    """A reply that streams ``events`` as SSE, each as sent (with its ``event:`` line if named)."""
    frames = []
    for kind, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        frames.append((f"event: {kind}\n" if kind is not None else "").encode()
                      + f"data: {text}\n\n".encode())
    return Reply(headers={"content-type": "text/event-stream"}, events=frames)


def stream_cases(events: Sequence[Event], *, encode: Callable[[list[Event]], Reply] = sse_reply,
                 skip: Iterable[str] = (), missing: bool = True) -> list[tuple[Corruption, Reply]]:
    """Each corruption (as :func:`reply_cases`) of the first event of each name and
    :func:`shape` in a stream, the other events as they were, with the reply (``encode``) that
    serves it: the same kind of event again breaks the same ways, so proves nothing new."""
    skip = tuple(skip)
    seen: set[tuple[str | None, frozenset[str]]] = set()
    out = []
    for i, (kind, data) in enumerate(events):
        if (kind, shape(data)) in seen:
            continue
        seen.add((kind, shape(data)))
        for case in skipping(corruptions(data, missing=missing), skip):
            out.append((case, encode([*events[:i], (kind, case.data), *events[i + 1:]])))
    return out


def replay(cases: Iterable[tuple[T, Reply]], call: Callable[[modelplex.Client], object], *,
           provider: str, settings: Mapping[str, Any] | None = None,
           plugins: Mapping[str, object] | None = None) -> list[tuple[T, BaseException | None]]:
    """Serve each case's reply in turn, on a :class:`ScriptedServer`, to ``call`` on a client
    whose ``provider`` (its ``settings``; its plugin from ``plugins`` if given, else the installed
    one) has that server as its base URL: each case with what ``call`` raised, or ``None``.

    Every exception is caught, the raw ones too: they are what these tests look for.
    """
    cases = list(cases)
    outcomes: list[tuple[T, BaseException | None]] = []
    with ScriptedServer([reply for _, reply in cases]) as server, modelplex.Client(
            providers={provider: {**(settings or {}), "base_url": f"http://127.0.0.1:{server.port}"}},
            plugins=plugins, autoload=plugins is None, config_file=False, env={}) as client:
        for case, _ in cases:
            outcome: BaseException | None = None
            try:
                call(client)
            except Exception as exc:  # judged by the caller
                outcome = exc
            outcomes.append((case, outcome))
        # One request a case, or the script served some case another's reply.
        if len(server.requests) != len(cases):
            raise AssertionError(f"{len(cases)} cases took {len(server.requests)} requests")
    return outcomes


def judge(outcomes: Iterable[tuple[Corruption, BaseException | None]], *,
          types: Mapping[str, Iterable[str]] | None = None, required: Iterable[str] = (),
          excused: Callable[[Corruption, BaseException | None], bool] | None = None) -> list[str]:
    """What was wrong with each answer of :func:`replay` (:func:`verdict`), less those ``excused``
    (a stream cut short by the break, where that is the right answer)."""
    required = tuple(required)
    wrong = []
    for case, outcome in outcomes:
        found = verdict(case, outcome, types=types, required=required)
        if found is not None and not (excused is not None and excused(case, outcome)):
            wrong.append(found)
    return wrong
