"""What a call will cost at most, before it is made: ``client.estimate(model, messages, **options)``.

The worst case is what a budget reserves, so every rule here leans up, never down:

* **input tokens** are counted by the model's own tokenizer where one is public and installed
  (OpenAI's models, with ``modelplex[tokenizers]``; :mod:`._catalog.tokenizers`): a request of text
  messages alone is then exact, counted as Chat Completions frames it (4 tokens a message, its role
  among them, and 3 that open the reply; gpt-5 models report one token fewer). Tools, tool calls and
  results, images and a JSON Schema add tokens that the provider frames in ways it does not publish:
  those are counted with a margin and the count is marked ``estimated``.
* Every other model (Claude, Gemini: their providers publish no offline tokenizer; the open-weight
  families served by Groq, Mistral, DeepSeek, Ollama...) gets the **upper-leaning character rule**
  (:func:`upper_tokens`): a token per 3 ASCII characters (a half more than the 4.5 characters a token
  of English prose and code in the GPT tokenizers, which leaves room for Claude's, which cuts English
  some 20-35% finer), and more where tokenizers cut finer: half a token a digit, one at each switch
  between letters and digits or from lower to upper case, half a token more a character in long runs
  of letters and digits (hashes, base64), one a non-ASCII character (CJK, accents) and three an emoji.
  Against OpenAI's tokenizers that is 1.5 times English and code, 1.2 times numbers and UUIDs, 1.0
  (cl100k) to 1.6 (o200k) times CJK and emoji, never below on the samples the tests hold; random
  keyboard text (symbols, letters and digits mixed at every character) still comes out some 5% under.
  On top of the text: 8 tokens a message, 128 a request (the system prompts some servers add: Llama's
  date header, gpt-oss's) and 1 024 for tool definitions (the tool-use system prompts: Anthropic's is
  300-550 tokens, Llama 4's on Groq about 650), plus their schemas by the same rule. Checked against
  every recorded exchange whose provider reported its prompt tokens (``tests/test_estimate_recorded.py``).
* **output tokens**: ``max_tokens``, else the model's maximum output from the catalog, else unknown
  (and so the cost's output bucket and total are unknown). The worst case prices all of it at the
  dearer of the output and reasoning prices.
* **cost**: the usage above priced by the cost engine (:mod:`._catalog.pricing`), long-context tiers
  included (the input's tier applies to the whole request). With ``prompt_cache`` asked for, the input
  is priced at the dearest cache-write price, as a first call writes it all. A model without a known
  price is ``unknown``, never 0.
* a **chain** (``chain/NAME``) names each candidate's estimate; its own figures are the worst of them.

No network, ever: the catalog and the tokenizer files are read from the installed packages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs

from modelplex._catalog.cost import Cost
from modelplex._messages import ImagePart, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from modelplex._tuples import as_tuple

if TYPE_CHECKING:
    from modelplex._catalog.records import ModelInfo
    from modelplex._chains import ChainEntry
    from modelplex._client import AsyncClient
    from modelplex._options import ChatOptions

OutputSource = Literal["max_tokens", "catalog", "unknown"]

# The upper-leaning character rule (see the module's docstring for where each number comes from).
MESSAGE_TOKENS = 8
REQUEST_TOKENS = 128
TOOLS_TOKENS = 1024
# Per image, whatever its size: Anthropic's largest is about 1 600 tokens (1.15 megapixels / 750), gpt-4o's
# 1 445 (85 + 170 a tile, 8 tiles at most), Gemini's 258 a 768-pixel tile (so 6 tiles). Some models count
# an image in many more tokens at a lower price: their own bound, by model-name prefix (gpt-4o-mini:
# 2 833 + 5 667 a tile; the patch-counted ones: 1 536 patches times the model's multiplier).
IMAGE_TOKENS = 1600
IMAGE_TOKENS_BY_MODEL: tuple[tuple[str, int], ...] = (
    ("gpt-4o-mini", 2833 + 5667 * 8), ("gpt-4.1-nano", 3800), ("gpt-4.1-mini", 2500), ("o4-mini", 2700))
# Frames around a tool call, a tool result and a JSON Schema reply format, beyond their text.
PART_TOKENS = 8
SCHEMA_TOKENS = 64
# With a tokenizer: Chat Completions' frame, and what tool definitions add beyond their JSON (the
# Responses API adds some 200 tokens to gpt-4o's prompt when tools are given).
OPENAI_MESSAGE_TOKENS = 4
OPENAI_REPLY_TOKENS = 3
OPENAI_TOOLS_TOKENS = 256


def _candidates(value: Sequence[Estimate]) -> tuple[Estimate, ...]:
    return as_tuple(value)


@attrs.frozen(kw_only=True)
class Estimate:
    """The most a call to ``model`` will cost, before it is made (see :meth:`AsyncClient.estimate`).

    ``input_tokens``: the request's input. ``tokenizer`` names the model's own tokenizer when it
    counted the text (``None``: the upper-leaning character rule, as for every Claude and Gemini
    model). ``estimated`` is false when the count is exact: a tokenizer's, of a request of text alone;
    true for the character rule or a request with parts the provider frames unpublished (tools,
    images). ``output_tokens``: the most the reply may take (``output_from``: the call's
    ``max_tokens``, the catalog's maximum output, or ``unknown``: ``None``). ``cost``: that usage
    priced, the worst case a budget reserves: its ``total`` is ``None`` (status ``unknown``) when a
    price or the output bound is unknown, never 0.

    For a chain (``chain/NAME``), ``candidates`` holds each model's estimate in the chain's order and
    the other fields are the worst over them (the largest count, the dearest cost; unknown if any is).
    """

    model: str
    input_tokens: int
    estimated: bool
    output_tokens: int | None
    cost: Cost
    tokenizer: str | None = None
    output_from: OutputSource = "unknown"
    candidates: tuple[Estimate, ...] = attrs.field(default=(), converter=_candidates)


@attrs.frozen(kw_only=True)
class _Rule:
    """How one family's input tokens are counted."""

    count: Callable[[str], int]
    per_message: int
    per_request: int
    tools: int
    exact: bool
    tokenizer: str | None = None
    image: int = IMAGE_TOKENS


# Each ASCII byte as its class: a lower-case letter, an upper-case one, a digit, a base64 sign, else a space.
_CLASSES = bytes(97 if 97 <= b <= 122 else 65 if 65 <= b <= 90 else 48 if 48 <= b <= 57
                 else 43 if b in b"+/=" else 32 for b in range(256))
_SWITCHES = (b"aA", b"a0", b"A0", b"0a", b"0A")
_OPAQUE_RUN = 24  # a run of letters and digits this long is an identifier or base64, not a word
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def upper_tokens(text: str) -> int:
    """At least as many tokens as the GPT tokenizers make of ``text`` but for random keyboard text
    (see the module's docstring), counted in sixths of a token with byte operations only: some 10 µs
    a kilobyte."""
    raw = text.encode("ascii", "replace")  # a non-ASCII character as "?"
    classes = raw.translate(_CLASSES)
    wide = 0 if text.isascii() else raw.count(b"?") - text.count("?")
    astral = len(_ASTRAL.findall(text)) if wide else 0
    switches = sum(classes.count(pair) for pair in _SWITCHES)
    opaque = sum(len(run) for run in classes.split() if len(run) >= _OPAQUE_RUN)
    sixths = (2 * (len(text) - wide) + classes.count(b"0") + 6 * switches + 3 * opaque
              + 6 * (wide - astral) + 18 * astral)
    return -(-sixths // 6)


UPPER = _Rule(count=upper_tokens, per_message=MESSAGE_TOKENS, per_request=REQUEST_TOKENS, tools=TOOLS_TOKENS,
              exact=False)


def _json(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def image_tokens(model: str) -> int:
    """The most tokens one image may count as in a request to ``model`` (served under any provider)."""
    name = model.rsplit("/", 1)[-1].lower()
    return next((tokens for prefix, tokens in IMAGE_TOKENS_BY_MODEL if name.startswith(prefix)), IMAGE_TOKENS)


def rule_for(plugin: str, model: str) -> _Rule:
    """The tokenizer rule of ``model`` (its id in the catalog) served by ``plugin``, else :data:`UPPER`."""
    from modelplex._catalog.tokenizers import encoder, encoding_name

    name = encoding_name(plugin, model)
    enc = encoder(name) if name is not None else None
    image = image_tokens(model)
    if enc is None:
        return UPPER if image == IMAGE_TOKENS else attrs.evolve(UPPER, image=image)
    encode = enc.encode_ordinary
    return _Rule(count=lambda text: len(encode(text)), per_message=OPENAI_MESSAGE_TOKENS,
                 per_request=OPENAI_REPLY_TOKENS, tools=OPENAI_TOOLS_TOKENS, exact=True, tokenizer=name,
                 image=image)


def input_tokens(messages: Sequence[Message], options: ChatOptions, rule: _Rule) -> tuple[int, bool]:
    """The input tokens of a request by ``rule``, and whether that count is exact."""
    count = rule.count
    exact = rule.exact
    tokens = rule.per_request + rule.per_message * len(messages)
    for message in messages:
        for part in message.parts:
            if isinstance(part, TextPart):
                tokens += count(part.text)
                continue
            exact = False
            if isinstance(part, ReasoningPart):
                tokens += count(part.text) + count(part.redacted_data or "")
            elif isinstance(part, ToolCallPart):
                arguments = part.raw_arguments if part.raw_arguments is not None else _json(part.arguments)
                tokens += PART_TOKENS + count(part.name) + count(arguments)
            elif isinstance(part, ToolResultPart):
                tokens += PART_TOKENS + count(part.content) + count(part.name or "")
            elif isinstance(part, ImagePart):
                tokens += rule.image
    if options.tools:
        exact = False
        tokens += rule.tools + sum(count(_json({"name": t.name, "description": t.description,
                                                "parameters": t.parameters})) for t in options.tools)
    fmt = options.response_format
    if fmt is not None and fmt.type != "text":
        exact = False
        tokens += SCHEMA_TOKENS + (count(_json(fmt.schema)) if fmt.schema is not None else 0)
    return tokens, exact


def worst_cost(info: ModelInfo | None, tokens_in: int, tokens_out: int | None,
               options: ChatOptions) -> Cost:
    """The cost of ``tokens_in`` and ``tokens_out`` in the dearest buckets they may be billed in: the
    input as input (or, with ``prompt_cache``, as a priced cache write), the output as output or as
    reasoning, each pairing priced (so a long-context tier that re-prices one bucket and not the
    other is taken into account) and the dearest kept; unknown if any is."""
    from modelplex._catalog.pricing import Rates, version_of
    from modelplex._responses import Usage

    prices = info.prices if info is not None else None
    rates = Rates(prices, version_of(info) if info is not None else None)
    ins, outs = ["input"], ["output"]
    if prices is not None:
        if options.prompt_cache:
            ins += [b for b in ("cache_write", "cache_write_1h") if getattr(prices, b) is not None]
        if prices.reasoning is not None:
            outs.append("reasoning")
    worst = _worst([rates.cost(Usage(**{i: tokens_in, o: tokens_out or 0}, estimated=True))
                    for i in ins for o in outs])
    if tokens_out is None:
        worst = attrs.evolve(worst, output=None, status="unknown")
    return worst


def _output(options: ChatOptions, info: ModelInfo | None) -> tuple[int | None, OutputSource]:
    if options.max_tokens is not None:
        return options.max_tokens, "max_tokens"
    if info is not None and info.max_output is not None:
        return info.max_output, "catalog"
    return None, "unknown"


def estimate_model(client: AsyncClient, address: str, messages: Sequence[Message],
                   options: ChatOptions) -> Estimate:
    """The worst case of one ``provider/model``."""
    from modelplex._catalog.merge import model_info
    from modelplex._routing.address import split_model

    provider, model = split_model(address)
    info = model_info(client, provider, model)
    plugin = client.settings.plugin_for(provider)
    rule = rule_for(plugin, info.id if info is not None else model)
    tokens_in, exact = input_tokens(messages, options, rule)
    tokens_out, source = _output(options, info)
    return Estimate(model=address, input_tokens=tokens_in, estimated=not exact, output_tokens=tokens_out,
                    cost=worst_cost(info, tokens_in, tokens_out, options),
                    tokenizer=rule.tokenizer, output_from=source)


def _worst(costs: Sequence[Cost]) -> Cost:
    """The dearest of ``costs``; the first unknown one if any is (a budget cannot bound it)."""
    if not costs:
        return Cost(status="unknown")
    unknown = [c for c in costs if c.total is None]
    if unknown:
        return unknown[0]
    return max(costs, key=lambda c: c.total or Decimal(0))


def _chain_entries(client: AsyncClient, address: str) -> list[tuple[str, ChainEntry | None]]:
    """The models ``chain/NAME`` may go to, as the router finds them, without asking any provider:
    a configured chain's entries; a built-in one's of installed plugins; ``local``'s from the listing
    the router last read (none before a call has read it). An unknown chain raises as a call would."""
    from modelplex._known_models import LOCAL_CHAIN
    from modelplex._routing.address import split_model

    router = client.router
    route = router.route(address)
    assert route is not None and route.chain is not None  # a chain address always routes
    if not route.builtin:
        return [(e.model, e) for e in route.chain.entries]
    if route.chain.name == LOCAL_CHAIN:
        return [(c.address, None) for c in (router.local[1] if router.local is not None else [])]
    records = client.registry.records
    return [(e.model, None) for e in route.chain.entries
            if client.settings.plugin_for(split_model(e.model)[0]) in records]


def estimate(client: AsyncClient, address: str, messages: Sequence[Message],
             options: ChatOptions) -> Estimate:
    """The worst case of a call to ``address`` (``provider/model`` or ``chain/NAME``)."""
    from modelplex._chains import CHAIN_PROVIDER
    from modelplex._routing.address import split_model

    if split_model(address)[0] != CHAIN_PROVIDER:
        return estimate_model(client, address, messages, options)
    found = [estimate_model(client, model, messages, entry.apply(options) if entry else options)
             for model, entry in _chain_entries(client, address)]
    if not found:
        tokens_in, _ = input_tokens(messages, options, UPPER)
        return Estimate(model=address, input_tokens=tokens_in, estimated=True, output_tokens=None,
                        cost=Cost(status="unknown"))
    outputs = [e.output_tokens for e in found]
    sources = {e.output_from for e in found}
    source: OutputSource = "unknown" if "unknown" in sources else "max_tokens" if sources == {
        "max_tokens"} else "catalog"
    return Estimate(model=address, input_tokens=max(e.input_tokens for e in found),
                    estimated=any(e.estimated for e in found),
                    output_tokens=None if None in outputs else max(o for o in outputs if o is not None),
                    cost=_worst([e.cost for e in found]),
                    output_from=source, candidates=found)


def estimate_call(client: AsyncClient, model: object, messages: str | Message | Sequence[Message],
                  system: str | None, options: ChatOptions | None, kwargs: Mapping[str, Any]) -> Estimate:
    """``client.estimate``'s arguments checked as ``client.chat`` checks them, then :func:`estimate`."""
    from modelplex._validate import build_options, check_address, check_chat, messages_from

    address = check_address(model)
    msgs = messages_from(messages, system)
    opts = build_options(options, kwargs)
    check_chat(msgs, opts)
    return estimate(client, address, msgs, opts)
