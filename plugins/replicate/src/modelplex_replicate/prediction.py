"""A prediction as Replicate returns it (``POST`` to create, ``GET urls.get`` to read): its id, status,
URLs, output, error and metrics, read through :class:`modelplex.toolkit.Reader` so a malformed one
names the JSON path of what was wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from modelplex import FinishReason, Usage
from modelplex.errors import ProviderError
from modelplex.toolkit import Reader

RUNNING = frozenset({"starting", "processing"})
FINISHED = frozenset({"succeeded", "failed", "canceled", "aborted"})


@attrs.frozen(kw_only=True, slots=True)
class Prediction:
    """The fields of a prediction this plugin reads."""

    id: str
    status: str
    get_url: str | None = None
    cancel_url: str | None = None
    stream_url: str | None = None
    output: str = ""
    error: str | None = None
    metrics: Mapping[str, Any] = attrs.field(factory=dict)
    model: str | None = None

    @property
    def running(self) -> bool:
        """Not finished yet: ``starting`` or ``processing``."""
        return self.status not in FINISHED


def _output(read: Reader, value: Any) -> str:
    """A language model's output: a list of text pieces (concatenated) or one string."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    pieces = read.array(value, at=("output",))
    return "".join(read.string(p, at=("output", i)) for i, p in enumerate(pieces))


def parse(data: Any, *, provider: str, model: str) -> Prediction:
    """The :class:`Prediction` in a reply's parsed JSON."""
    read = Reader(provider=provider, model=model)
    obj = read.obj(data)
    urls = read.optional_obj(obj, "urls") or {}
    error = obj.get("error")
    return Prediction(
        id=read.string(obj, "id"), status=read.string(obj, "status"),
        get_url=read.optional_string(urls, "get", at=("urls",)),
        cancel_url=read.optional_string(urls, "cancel", at=("urls",)),
        stream_url=read.optional_string(urls, "stream", at=("urls",)),
        output=_output(read, obj.get("output")),
        error=error if isinstance(error, str) else (str(error) if error is not None else None),
        metrics=read.optional_obj(obj, "metrics") or {}, model=read.optional_string(obj, "model"))


def usage(prediction: Prediction) -> Usage:
    """Usage from the metrics Replicate reports for language models (``input_token_count``,
    ``output_token_count``); a model that counts none gives an estimate-marked empty usage, not zeros."""
    metrics = prediction.metrics
    tokens_in, tokens_out = metrics.get("input_token_count"), metrics.get("output_token_count")
    if type(tokens_in) is int and type(tokens_out) is int:
        return Usage(input=tokens_in, output=tokens_out)
    return Usage(estimated=True)


def finish_reason(prediction: Prediction, max_tokens: int | None) -> tuple[FinishReason, str]:
    """Replicate reports no stop reason: a prediction that succeeded stopped, unless it produced
    exactly the ``max_tokens`` asked for (then it was cut at the limit). The raw reason is its status."""
    tokens = prediction.metrics.get("output_token_count")
    if max_tokens is not None and type(tokens) is int and tokens >= max_tokens:
        return FinishReason.LENGTH, prediction.status
    return FinishReason.STOP, prediction.status


def failure(prediction: Prediction, *, provider: str, model: str) -> ProviderError | None:
    """The error for a prediction that ended without succeeding, else ``None``."""
    if prediction.status == "succeeded":
        return None
    why = f": {prediction.error}" if prediction.error else ""
    return ProviderError(f"prediction {prediction.id} {prediction.status}{why}", provider=provider,
                         model=model)
