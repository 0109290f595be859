"""OpenRouter's request body: the shared one, with reasoning asked for in OpenRouter's own
``reasoning`` object, which it translates for each upstream (an effort for OpenAI and Grok, a token
budget for Claude and Gemini).

Provider routing needs no code: ``ChatOptions(extra={"provider": {"order": [...],
"allow_fallbacks": False}})`` is merged into the body as it is (see the README).
"""

from __future__ import annotations

from typing import Any

import attrs
from modelplex_openai_compat import Call
from modelplex_openai_compat import build_body as build_compat

from modelplex import ProviderWarning


def build_body(call: Call, messages: list[dict[str, Any]]) -> tuple[dict[str, Any],
                                                                    list[ProviderWarning]]:
    """The shared body; ``reasoning_budget`` becomes ``reasoning: {"max_tokens": ...}``, else
    ``reasoning_effort`` ``reasoning: {"effort": ...}`` (``extra["reasoning"]`` wins over both)."""
    opts = call.request.options
    if opts.reasoning_effort is None and opts.reasoning_budget is None:
        return build_compat(call, messages)
    plain = attrs.evolve(call.request, options=attrs.evolve(opts, reasoning_effort=None,
                                                            reasoning_budget=None))
    body, warnings = build_compat(attrs.evolve(call, request=plain), messages)
    # OpenRouter takes one of the two; a budget is the more precise.
    if opts.reasoning_budget is not None:
        reasoning: dict[str, Any] = {"max_tokens": opts.reasoning_budget}
        if opts.reasoning_effort is not None:
            warnings.append(ProviderWarning(
                code="unsupported-setting", field="reasoning_effort",
                message="reasoning_effort was not sent: OpenRouter takes an effort or a token "
                        "budget, and the budget was sent"))
    else:
        reasoning = {"effort": opts.reasoning_effort}
    if "reasoning" not in opts.extra:
        body["reasoning"] = reasoning
    return body, warnings
