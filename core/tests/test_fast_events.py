"""The stream's fast constructors (``docs/hot-paths.md``): ``text_delta`` and the SSE decoder's
``sse_event`` build what ``TextDelta(...)`` and ``SSEEvent(...)`` build, and the classes have nothing
(a validator, a converter, another field) that attrs' ``__init__`` would apply and they would skip."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelplex import TextDelta
from modelplex.toolkit import SSEDecoder, SSEEvent, text_delta
from modelplex.toolkit.sse import sse_event


@pytest.mark.parametrize(("cls", "names"), [(TextDelta, ["text", "type"]),
                                            (SSEEvent, ["data", "event", "id", "retry"])])
def test_the_classes_have_only_the_fields_the_fast_constructors_set(cls: type, names: list[str]) -> None:
    fields = attrs.fields(cls)
    assert [f.name for f in fields] == names
    assert all(f.validator is None and f.converter is None and f.on_setattr in (None, attrs.setters.NO_OP)
               for f in fields)
    assert "__attrs_post_init__" not in vars(cls)


@given(st.text())
def test_text_delta_builds_what_the_class_builds(text: str) -> None:
    fast, slow = text_delta(text), TextDelta(text=text)
    assert type(fast) is TextDelta and fast == slow and repr(fast) == repr(slow)
    assert hash(fast) == hash(slow) and attrs.asdict(fast) == attrs.asdict(slow)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.text = "other"  # type: ignore[misc]


@given(st.text(), st.text(min_size=1), st.none() | st.text(), st.none() | st.integers(min_value=0))
def test_sse_event_builds_what_the_class_builds(data: str, event: str, id_: str | None,
                                                retry: int | None) -> None:
    fast, slow = sse_event(data, event, id_, retry), SSEEvent(data=data, event=event, id=id_, retry=retry)
    assert type(fast) is SSEEvent and fast == slow and repr(fast) == repr(slow)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.data = "other"  # type: ignore[misc]


def test_the_decoder_dispatches_class_equal_events() -> None:
    events = SSEDecoder().feed(b"id: 7\nretry: 250\ndata: a\ndata: b\n\nevent: ping\ndata: c\n\n")
    assert events == [SSEEvent(data="a\nb", event="message", id="7", retry=250),
                      SSEEvent(data="c", event="ping", id="7", retry=250)]
