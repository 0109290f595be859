"""``<think>`` tags: any cut of the content into pieces gives the same reasoning and text."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st
from modelplex_openai_compat import ThinkSplitter, split_think


def test_whole() -> None:
    assert split_think("<think>\nplan\n</think>\n\nanswer") == ("plan\n", "answer")
    assert split_think("no tags at all") == ("", "no tags at all")
    assert split_think("a < b <thin") == ("", "a < b <thin")  # a partial tag at the end is text
    assert split_think("<think>unfinished") == ("unfinished", "")


@given(st.text(alphabet="<>/thinkab \n", max_size=60), st.data())
def test_any_split_gives_the_whole_result(content: str, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.sets(st.integers(0, len(content)), max_size=8)))
    bounds = [0, *cuts, len(content)]
    splitter = ThinkSplitter()
    runs = [r for a, b in itertools.pairwise(bounds) for r in splitter.feed(content[a:b])]
    runs += splitter.flush()
    reasoning = "".join(t for k, t in runs if k == "reasoning")
    text = "".join(t for k, t in runs if k == "text")
    assert (reasoning, text) == split_think(content)
    assert all(t for _, t in runs)
