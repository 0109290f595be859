"""``StreamState.chunk``'s short way for a chunk of text alone (``docs/hot-paths.md``) gives what
``StreamState.general`` gives, for any chunk: the same events, the same state after, the same error."""

from __future__ import annotations

import copy
from typing import Any

from compat_helpers import make_call
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_openai_compat import Profile
from modelplex_openai_compat.stream import StreamState

# JSON-ish values, odd ones included, for every field the short way looks at.
_odd = st.none() | st.booleans() | st.integers(-2, 2) | st.floats(allow_nan=False) | st.text(max_size=4)
_content = st.text(max_size=6) | _odd | st.lists(st.fixed_dictionaries({"type": st.just("text"),
                                                                          "text": st.text(max_size=3)}))
_delta = st.fixed_dictionaries({}, optional={
    "content": _content, "role": st.sampled_from(["assistant", "user"]) | _odd,
    "reasoning_content": st.text(max_size=3), "refusal": st.text(max_size=3),
    "tool_calls": st.just([{"index": 0, "id": "c1", "function": {"name": "f", "arguments": "{}"}}]),
}) | _odd
_choice = st.fixed_dictionaries({}, optional={
    "index": st.sampled_from([0, 1, None, 0.0, False, True, "0"]), "delta": _delta,
    "finish_reason": st.sampled_from([None, "stop", "length", "", 3]), "logprobs": st.none(),
}) | _odd
_chunk = st.fixed_dictionaries({}, optional={
    "id": st.sampled_from(["c-1", "", None]), "model": st.sampled_from(["m-1", None]),
    "choices": st.lists(_choice, max_size=2) | _odd,
    "usage": st.none() | st.just({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}),
    "object": st.just("chat.completion.chunk"),
})


def _state(think: bool) -> StreamState:
    return StreamState(make_call(Profile(think_tags=think) if think else None, stream=True))


def _seen(state: StreamState, data: dict[str, Any]) -> tuple[Any, ...]:
    try:
        events: Any = state.chunk(data)
    except Exception as exc:  # the error, compared by type and message
        events = (type(exc).__name__, str(exc))
    return events, state.started, state.finish_reason, state.usage, dict(state._chars), state._warned


def _general(state: StreamState, data: dict[str, Any]) -> tuple[Any, ...]:
    state.chunk = state.general  # type: ignore[method-assign]  # every chunk the whole way
    return _seen(state, data)


@settings(deadline=None)
@given(st.lists(_chunk, min_size=1, max_size=6), st.booleans(), st.booleans())
def test_the_short_way_gives_what_the_whole_way_gives(chunks: list[dict[str, Any]], started: bool,
                                                      think: bool) -> None:
    fast, whole = _state(think), _state(think)
    if started:  # most chunks of a stream come after its first
        for state in (fast, whole):
            state.general({"id": "c-1", "model": "m-1", "choices": []})
    for data in chunks:
        assert _seen(fast, copy.deepcopy(data)) == _general(whole, copy.deepcopy(data))


def test_the_short_way_is_taken_by_a_chunk_of_text_alone() -> None:
    # Else the property above would hold with no short way at all.
    state = _state(False)
    state.general({"id": "c-1", "model": "m-1", "choices": []})
    state.general = None  # type: ignore[assignment,method-assign]  # the whole way would now fail
    for delta in ({"content": "Hel"}, {"content": "lo", "role": "assistant"}):
        chunk = {"id": "c-1", "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        [event] = state.chunk(chunk)
        assert event.text == delta["content"]
    assert state._chars["text"] == 5
