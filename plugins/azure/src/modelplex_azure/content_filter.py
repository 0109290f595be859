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

FILTERED = "content-filter"
FILTER_ERROR = "content-filter-error"
CODES = frozenset({FILTERED, FILTER_ERROR})


def categories(results: Any) -> list[str]:
    """The filtered categories of one ``content_filter_results`` object: ``"violence (high)"``,
    ``"jailbreak"``, ``"custom_blocklists (my-list)"``."""
    out: list[str] = []
    if not isinstance(results, Mapping):
        return out
    for name, value in results.items():
        if isinstance(value, Mapping) and value.get("filtered") is True:
            severity = value.get("severity")
            ids = [str(d.get("id")) for d in value.get("details") or () if isinstance(d, Mapping)
                   and d.get("filtered") is True and d.get("id")]
            detail = ", ".join(ids) or (severity if isinstance(severity, str) and severity else "")
            out.append(f"{name} ({detail})" if detail else str(name))
        elif isinstance(value, list):  # older custom_blocklists: [{"filtered": true, "id": ...}]
            ids = [str(d.get("id")) for d in value if isinstance(d, Mapping) and d.get("filtered") is True]
            if ids:
                out.append(f"{name} ({', '.join(ids)})")
    return out


def _error(results: Any, field: str, what: str) -> list[ProviderWarning]:
    error = results.get("error") if isinstance(results, Mapping) else None
    if not isinstance(error, Mapping):
        return []
    detail = error.get("message") or error.get("code") or "no detail given"
    return [ProviderWarning(code=FILTER_ERROR, field=field,
                            message=f"Azure's content filter could not check the {what}, so it was "
                                    f"not filtered: {detail}")]


def reply_warnings(choice: Mapping[str, Any], index: int = 0) -> list[ProviderWarning]:
    """Warnings for one choice's ``content_filter_results``."""
    field = f"choices[{index}].content_filter_results"
    results = choice.get("content_filter_results")
    found = categories(results)
    out = _error(results, field, "reply")
    if found:
        out.append(ProviderWarning(code=FILTERED, field=field,
                                   message=f"Azure's content filter withheld the reply: "
                                           f"{', '.join(found)}"))
    return out


def prompt_warnings(data: Mapping[str, Any]) -> list[ProviderWarning]:
    """Warnings for a response's (or chunk's) ``prompt_filter_results``."""
    out: list[ProviderWarning] = []
    entries = data.get("prompt_filter_results") or data.get("prompt_annotations") or ()
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, Mapping):
            continue
        index = entry.get("prompt_index", 0)
        field = f"prompt_filter_results[{index}]"
        results = entry.get("content_filter_results")
        out += _error(results, field, "prompt")
        found = categories(results)
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


def rejected_prompt(body: str | None) -> ProviderWarning:
    """For an HTTP 400 ``content_filter`` error: the prompt's filtered categories."""
    try:
        data = json.loads(body or "")
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, Mapping) else None
    inner = error.get("innererror") if isinstance(error, Mapping) else None
    results = None
    if isinstance(inner, Mapping):
        results = inner.get("content_filter_result") or inner.get("content_filter_results")
    found = categories(results)
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


def _first_choice(data: Mapping[str, Any]) -> Mapping[str, Any]:
    choices = data.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        return choices[0]
    return {}


def azure_parse_response(call: Call, data: Mapping[str, Any]) -> ChatResponse:
    """The shared :func:`~modelplex_openai_compat.parse_response`, plus the filter's results."""
    response = parse_response(call, data)
    return with_filter(response, [*prompt_warnings(data), *reply_warnings(_first_choice(data))])


def azure_parse_stream_event(call: Call, state: StreamState, event: SSEEvent) -> list[StreamEvent]:
    """The shared :func:`~modelplex_openai_compat.parse_stream_event`, plus a warning for each
    filter result in the chunk. The provider's event stream drops repeats and, if anything was
    filtered, finishes with ``CONTENT_FILTER`` (annotations may come after the finish reason)."""
    out = parse_stream_event(call, state, event)
    if event.data.strip() == "[DONE]":
        return out
    chunk = json.loads(event.data)  # the shared stage has parsed it already: it is a JSON object
    found = prompt_warnings(chunk)
    for choice in chunk.get("choices") or ():
        if isinstance(choice, Mapping) and choice.get("index", 0) in (0, None):
            found += reply_warnings(choice)
    return [*out, *(WarningRaised(warning=w) for w in found)]
