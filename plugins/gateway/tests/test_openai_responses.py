"""``POST /v1/responses`` with the official ``openai`` SDK: whole and streamed, the stream read both as raw
events (their names and order) and through the SDK's own accumulating helper, which indexes every delta
into the items announced before it and so fails on a grammar that is off. Upstreams: OpenAI's own
Responses API (a recorded stream with reasoning, text and a function call) and a Chat Completions server."""

from __future__ import annotations

import json

import openai
import pytest
from gateway_server import UPSTREAM_KEY, client_for, openai_client, openai_whole, recording, replayed, served

from modelplex_testing.compat_server import Reply, ScriptedServer, chunk, parallel_tool_calls

USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


def sdk(v1: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=v1, api_key="x", max_retries=0)


def test_a_whole_response_with_instructions_and_a_function_call() -> None:
    call = {"id": "call_9", "type": "function", "function": {"name": "capital", "arguments": '{"c":"FR"}'}}
    with ScriptedServer([openai_whole("Looking it up.", tool_calls=[call], finish="tool_calls")]) as up, \
            served(openai_client(up)) as gw:
        response = sdk(gw.v1).responses.create(
            model="openai/gpt-4o", instructions="Be brief.", input="Capital of France?",
            tools=[{"type": "function", "name": "capital", "parameters": {"type": "object"},
                    "strict": False}],
            max_output_tokens=64)
    assert response.status == "completed"
    assert response.output_text == "Looking it up."
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in calls] == \
        [("call_9", "capital", {"c": "FR"})]
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (11, 7)
    sent = up.requests[0].json
    assert sent["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Capital of France?"}]
    assert sent["tools"][0]["function"]["name"] == "capital"


def test_a_stream_with_text_and_two_calls_follows_the_responses_grammar() -> None:
    with ScriptedServer([Reply.stream(parallel_tool_calls(USAGE))]) as up, served(openai_client(up)) as gw:
        events = list(sdk(gw.v1).responses.create(model="openai/gpt-4o", input="both", stream=True))
    names = [e.type for e in events]
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text_item = names.index("response.output_item.added")
    assert names[text_item + 1] == "response.content_part.added"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "Checking both."
    added = [e.item for e in events if e.type == "response.output_item.added"]
    assert [i.type for i in added] == ["message", "function_call", "function_call"]
    assert [(i.call_id, i.name) for i in added[1:]] == [("call_w", "weather"), ("call_t", "time")]
    args = {e.output_index: e.arguments for e in events if e.type == "response.function_call_arguments.done"}
    assert args == {1: '{"city":"Oslo"}', 2: '{"tz":"CET"}'}
    final = events[-1].response  # type: ignore[union-attr]
    assert final.usage is not None and final.usage.total_tokens == 18
    assert [o.type for o in final.output] == ["message", "function_call", "function_call"]


def test_the_sdks_stream_helper_accumulates_a_recorded_openai_stream() -> None:
    rec = recording("openai", "openai_responses/07_stream_reasoning_text_and_function_call")
    model = f"openai/{rec.request_body['model']}"
    settings = {"api_key": UPSTREAM_KEY, "api": "responses"}
    with ScriptedServer([replayed(rec)]) as up, \
            served(client_for({"openai": {"base_url": up.url, **settings}})) as gw, \
            sdk(gw.v1).responses.stream(model=model, input="Capital of PotatoLand?") as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.status == "completed"
    assert final.output_text == "I\u2019ll check the capital lookup tool for \u201cPotatoLand.\u201d"
    calls = [o for o in final.output if o.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_capital", {"country": "PotatoLand"})]
    assert final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens) == (63, 69)
    assert final.usage.output_tokens_details.reasoning_tokens == 26
    assert up.requests[0].path.endswith("/responses")


def test_a_stream_cut_at_the_token_limit_ends_incomplete() -> None:
    cut = Reply.stream([chunk(content="Once upon"), chunk(finish="length"), chunk(usage=USAGE)])
    with ScriptedServer([cut]) as up, served(openai_client(up)) as gw:
        events = list(sdk(gw.v1).responses.create(model="openai/gpt-4o", input="story", stream=True))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"  # type: ignore[union-attr]


def test_a_previous_response_id_is_refused_the_gateway_keeps_none() -> None:
    with ScriptedServer([openai_whole()]) as up, served(openai_client(up)) as gw:
        with pytest.raises(openai.BadRequestError) as caught:
            sdk(gw.v1).responses.create(model="openai/gpt-4o", input="hi", previous_response_id="resp_1")
        assert up.requests == []
    assert caught.value.body["param"] == "previous_response_id"  # type: ignore[index]
