"""Azure's content filter: its annotations as warnings, and a filtered reply's finish reason.

Azure runs every prompt and reply through classifiers (hate, sexual, violence, self_harm, jailbreak,
protected material, custom blocklists, ...) and reports each category as
``{"filtered": bool, "severity": ..., "detected": ...}``:

* ``prompt_filter_results`` (a list, one per prompt) at the top of a response or in a stream's first
  chunk; a prompt that is filtered is refused with HTTP 400 and ``code: "content_filter"``, the
  categories in ``error.innererror.content_filter_result``;
* ``choices[i].content_filter_results`` for the reply; a filtered reply ends with
  ``finish_reason: "content_filter"`` and little or no content.

A filtered prompt or reply ends with :attr:`FinishReason.CONTENT_FILTER` and a warning (code
:data:`FILTERED`) naming the categories, never as an ordinary empty reply. When the filter itself
failed, a warning (code :data:`FILTER_ERROR`) says that the content was not checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from modelplex_openai_compat import Call, SSEEvent, StreamState, parse_response, parse_stream_event

from modelplex import ChatResponse, FinishReason, ProviderWarning, StreamEvent, WarningRaised
from modelplex.errors import ResponseParseError
from modelplex.toolkit import Reader

FILTERED = "content-filter"
FILTER_ERROR = "content-filter-error"
CODES = frozenset({FILTERED, FILTER_ERROR})


Path = tuple[str | int, ...]


def _ids(read: Reader, details: list[Any], at: Path) -> list[str]:
    """The ids of the filtered entries of a ``details`` list (custom blocklists)."""
    out = []
    for i, entry in enumerate(details):
        if read.optional_boolean(entry, "filtered", at=(*at, i)) is True:
            name = read.optional_string(entry, "id", at=(*at, i))
            if name:
                out.append(name)
    return out


def categories(results: Any, read: Reader, at: Path = ()) -> list[str]:
    """The filtered categories of one ``content_filter_results`` object (at ``at`` in the reply):
    ``"violence (high)"``, ``"jailbreak"``, ``"custom_blocklists (my-list)"``. What does not follow
    the format is a ResponseParseError naming its path."""
    out: list[str] = []
    for name, value in (read.optional_obj(results, at=at) or {}).items():
        where = (*at, name)
        if type(value) is list:  # older custom_blocklists: [{"filtered": true, "id": ...}]
            ids = _ids(read, value, where)
            if ids:
                out.append(f"{name} ({', '.join(ids)})")
            continue
        if name == "error":
            continue  # the filter's own failure: see _error
        category = read.obj(value, at=where)
        filtered = read.optional_boolean(category, "filtered", at=where)
        severity = read.optional_string(category, "severity", at=where)
        if filtered is True:
            ids = _ids(read, read.optional_array(category, "details", at=where) or [],
                       (*where, "details"))
            detail = ", ".join(ids) or severity or ""
            out.append(f"{name} ({detail})" if detail else str(name))
    return out


def _error(results: Any, field: str, what: str, read: Reader, at: Path) -> list[ProviderWarning]:
    error = read.optional_obj(results, "error", at=at)
    if error is None:
        return []
    detail = (read.optional_string(error, "message", at=(*at, "error"))
              or str(error.get("code") or "") or "no detail given")
    return [ProviderWarning(code=FILTER_ERROR, field=field,
                            message=f"Azure's content filter could not check the {what}, so it was "
                                    f"not filtered: {detail}")]


def reply_warnings(choice: Mapping[str, Any], index: int, read: Reader) -> list[ProviderWarning]:
    """Warnings for one choice's ``content_filter_results``."""
    field = f"choices[{index}].content_filter_results"
    at = ("choices", index, "content_filter_results")
    results = read.optional_obj(choice, "content_filter_results", at=at[:2])
    found = categories(results, read, at)
    out = _error(results, field, "reply", read, at)
    if found:
        out.append(ProviderWarning(code=FILTERED, field=field,
                                   message=f"Azure's content filter withheld the reply: "
                                           f"{', '.join(found)}"))
    return out


def prompt_warnings(data: Mapping[str, Any], read: Reader) -> list[ProviderWarning]:
    """Warnings for a response's (or chunk's) ``prompt_filter_results``."""
    out: list[ProviderWarning] = []
    key = "prompt_filter_results" if "prompt_filter_results" in data else "prompt_annotations"
    for i, entry in enumerate(read.optional_array(data, key) or ()):
        at = (key, i)
        index = read.optional_integer(entry, "prompt_index", at=at) or 0
        field = f"prompt_filter_results[{index}]"
        results = read.optional_obj(entry, "content_filter_results", at=at)
        out += _error(results, field, "prompt", read, (*at, "content_filter_results"))
        found = categories(results, read, (*at, "content_filter_results"))
        if found:
            out.append(ProviderWarning(code=FILTERED, field=field,
                                       message=f"Azure's content filter filtered the prompt: "
                                               f"{', '.join(found)}"))
    return out


def unnamed() -> ProviderWarning:
    """For a reply that ended with ``content_filter`` without saying which categories."""
    return ProviderWarning(code=FILTERED, field="finish_reason",
                           message="Azure's content filter withheld the reply "
                                   "(finish_reason content_filter); it did not say which categories")


def rejected_prompt(body: str | None, provider: str = "azure") -> ProviderWarning:
    """For an HTTP 400 ``content_filter`` error: the prompt's filtered categories. The error is what
    the caller gets; a body that does not say them in the usual form only leaves them unnamed."""
    try:
        data = json.loads(body or "")
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, Mapping) else None
    inner = error.get("innererror") if isinstance(error, Mapping) else None
    results = None
    if isinstance(inner, Mapping):
        results = inner.get("content_filter_result") or inner.get("content_filter_results")
    try:
        found = categories(results, Reader(provider=provider))
    except ResponseParseError:
        found = []
    which = ", ".join(found) if found else "it did not say which categories"
    return ProviderWarning(code=FILTERED, field="prompt",
                           message=f"Azure's content filter rejected the prompt (HTTP 400, "
                                   f"content_filter): {which}")


def with_filter(response: ChatResponse, found: Sequence[ProviderWarning]) -> ChatResponse:
    """``response`` with the filter's warnings added, finishing with ``CONTENT_FILTER`` when
    anything was filtered (or the server said ``content_filter`` without naming categories)."""
    warnings = list(found)
    filtered = any(w.code == FILTERED for w in warnings)
    if response.finish_reason is FinishReason.CONTENT_FILTER and not filtered:
        warnings.append(unnamed())
        filtered = True
    if not warnings:
        return response
    reason = FinishReason.CONTENT_FILTER if filtered else response.finish_reason
    return attrs.evolve(response, finish_reason=reason, warnings=(*response.warnings, *warnings))


def azure_parse_response(call: Call, data: Mapping[str, Any]) -> ChatResponse:
    """The shared :func:`~modelplex_openai_compat.parse_response`, plus the filter's results."""
    response = parse_response(call, data)  # it has checked choices[0] is an object
    choice = data["choices"][0]
    return with_filter(response, [*prompt_warnings(data, call.read),
                                  *reply_warnings(choice, 0, call.read)])


def azure_parse_stream_event(call: Call, state: StreamState, event: SSEEvent) -> list[StreamEvent]:
    """The shared :func:`~modelplex_openai_compat.parse_stream_event`, plus a warning for each
    filter result in the chunk. The provider's event stream drops repeats and, if anything was
    filtered, finishes with ``CONTENT_FILTER`` (annotations may come after the finish reason)."""
    state.last = {}
    out = parse_stream_event(call, state, event)
    chunk = state.last  # as the shared stage read it: an object, its choices checked; {} for [DONE]
    found = prompt_warnings(chunk, call.read)
    for i, choice in enumerate(chunk.get("choices") or ()):
        if choice.get("index", 0) in (0, None):
            found += reply_warnings(choice, i, call.read)
    return [*out, *(WarningRaised(warning=w) for w in found)]
