"""Embeddings from a Text Embeddings Inference (TEI) server, through its native ``POST /embed`` route.

TEI documents ``/embed`` as its own API: ``{"inputs": [...], "normalize", "truncate",
"truncation_direction", "prompt_name"}`` in, a bare array of vectors (one per input, in order) out,
errors as ``{"error": "...", "error_type": "validation" | "tokenizer" | "backend" | "overloaded"}``
(413 batch too large, 422 input refused, 424 embedding failed, 429 overloaded). A server takes at most
``--max-client-batch-size`` inputs a request (32 unless set), so inputs travel in batches of
``tei_batch_size`` (32 by default). The token count is the ``x-compute-tokens`` header TEI sets on
every answer; the body carries none. The server embeds with the one model it was started with: the
model in the address names that model in usage and cost, and is not sent.

The Hugging Face token goes only to a server Hugging Face hosts (an Inference Endpoint, a Space): a TEI
server anywhere else (one's own machine, a colleague's box) gets no token it could keep.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from modelplex import EmbedRequest, EmbedResponse, ProviderContext, ProviderWarning, Usage
from modelplex.errors import APIStatusError, ConfigurationError
from modelplex.toolkit import Reader, error_details, error_for_status, parse_body
from modelplex_huggingface.config import TEI_OPTION

DEFAULT_BATCH = 32
# TEI's own settings on /embed, passed through from EmbedRequest.extra.
_SETTINGS = ("normalize", "truncate", "truncation_direction", "prompt_name")
_TOO_LONG = re.compile(r"must have less than \d+ tokens|too long|maximum .*tokens", re.IGNORECASE)


def tei_url(ctx: ProviderContext) -> str:
    """The ``/embed`` URL of the configured TEI server, or a :class:`ConfigurationError` saying how to
    configure one (the router itself serves no embeddings route)."""
    base = ctx.settings.options.get(TEI_OPTION)
    if not isinstance(base, str) or not base.strip():
        raise ConfigurationError(
            f"{ctx.name}: embeddings come from a Text Embeddings Inference server: set {TEI_OPTION} "
            f"under [providers.{ctx.name}] (or HF_TEI_URL) to its URL, e.g. http://127.0.0.1:8080")
    return f"{base.strip().rstrip('/')}/embed"


# Hosts of servers Hugging Face runs, which take the Hugging Face token.
HF_HOSTED = (".huggingface.cloud", ".huggingface.co", ".hf.space")


def tei_headers(url: str, headers: Mapping[str, str]) -> Mapping[str, str]:
    """The router's headers for a server Hugging Face hosts; the same without the token for any other."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(HF_HOSTED):
        return headers
    return {k: v for k, v in headers.items() if k.lower() != "authorization"}


def batch_size(ctx: ProviderContext) -> int:
    """How many inputs one request carries: ``tei_batch_size``, else TEI's default limit."""
    size = ctx.settings.options.get("tei_batch_size", DEFAULT_BATCH)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError(f"{ctx.name}: tei_batch_size must be an integer >= 1, got {size!r}")
    return size


def map_error(ctx: ProviderContext, model: str, status: int, body: bytes,
              headers: Mapping[str, str]) -> APIStatusError:
    """TEI's error answer as the Modelplex error; an input over the model's length is a
    :class:`~modelplex.errors.ContextLengthExceededError`."""
    text = body.decode("utf-8", errors="replace").strip()
    data = parse_body(body)
    message, _ = error_details(data, text or f"HTTP {status}")
    kind = data.get("error_type") if isinstance(data, Mapping) else None
    return error_for_status(status, f"Text Embeddings Inference: {message}", provider=ctx.name,
                            model=model, code=kind if isinstance(kind, str) else None,
                            body=text or None, headers=headers,
                            context_length=bool(_TOO_LONG.search(message)))


def _request_warnings(request: EmbedRequest) -> list[ProviderWarning]:
    out = []
    if request.dimensions is not None:
        out.append(ProviderWarning(code="unsupported-setting", field="dimensions", message=(
            "TEI's /embed returns the model's own dimensions; dimensions was not sent")))
    if request.task_type is not None:
        out.append(ProviderWarning(code="unsupported-setting", field="task_type", message=(
            "TEI takes no task type; name one of the model's prompts with extra={'prompt_name': ...}")))
    unknown = sorted(set(request.extra) - set(_SETTINGS))
    if unknown:
        out.append(ProviderWarning(code="unsupported-setting", field=",".join(unknown), message=(
            f"TEI's /embed takes {', '.join(_SETTINGS)}; {', '.join(unknown)} not sent")))
    return out


def _tokens(headers: Mapping[str, str]) -> int | None:
    value = headers.get("x-compute-tokens")
    return int(value) if value is not None and value.strip().isdigit() else None


def _vectors(read: Reader, data: Any, expected: int) -> list[list[float]]:
    rows = read.array(data)
    if len(rows) != expected:
        raise read.error(f"expected {expected} embeddings, got {len(rows)}")
    out = []
    for i, row in enumerate(rows):
        values = read.array(row, at=(i,))
        for j, x in enumerate(values):
            if type(x) is not float and type(x) is not int:
                read.number(x, at=(i, j))  # raises, naming the value's place
        out.append([float(x) for x in values])
    return out


async def embed(ctx: ProviderContext, request: EmbedRequest,
                headers: Mapping[str, str]) -> EmbedResponse:
    """Embed ``request.inputs`` on the TEI server, in batches, vectors in input order."""
    url, size = tei_url(ctx), batch_size(ctx)
    headers = tei_headers(url, headers)
    settings = {k: v for k, v in request.extra.items() if k in _SETTINGS}
    read = Reader(provider=ctx.name, model=request.model)
    inputs: Sequence[str] = request.inputs
    vectors: list[list[float]] = []
    counted: int | None = 0
    for start in range(0, len(inputs), size):
        batch = list(inputs[start:start + size])
        response = await ctx.post_json(url, {"inputs": batch, **settings}, headers)
        if response.status_code >= 400:
            raise map_error(ctx, request.model, response.status_code, response.content, response.headers)
        vectors.extend(_vectors(read, read.json(response.content), len(batch)))
        tokens = _tokens(response.headers)
        counted = None if counted is None or tokens is None else counted + tokens
    usage = Usage(input=counted) if counted is not None else Usage(estimated=True)
    return EmbedResponse(provider=ctx.name, model=request.model, vectors=vectors, usage=usage,
                         warnings=_request_warnings(request))
