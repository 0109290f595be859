"""Vision on the wire: an image in a user message goes to a configured OpenAI-compatible server as an OpenAI
``image_url`` part carrying a data URL, beside the text, with nothing warned (the compatibility matrix's
Vision cell)."""

from __future__ import annotations

import pytest

from modelplex_testing.vision import ANSWER, SENT_AS_IMAGE_URL, chat_with_an_image

MODEL = "qwen2.5-vl-7b-instruct"


@pytest.mark.feature("vision", provider="openai-like")
def test_an_image_goes_as_an_image_url_data_url() -> None:
    response, sent = chat_with_an_image("openai-like", MODEL)
    assert (response.text, response.warnings) == (ANSWER, ())
    assert sent["messages"] == SENT_AS_IMAGE_URL
