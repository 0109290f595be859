"""Vision on the wire: an image in a user message goes to OpenRouter as an OpenAI ``image_url`` part
carrying a data URL, beside the text, with nothing warned (the compatibility matrix's Vision cell)."""

from __future__ import annotations

import pytest

from modelplex_testing.vision import ANSWER, SENT_AS_IMAGE_URL, chat_with_an_image

MODEL = "openai/gpt-4o"


@pytest.mark.feature("vision", provider="openrouter")
def test_an_image_goes_as_an_image_url_data_url() -> None:
    response, sent = chat_with_an_image("openrouter", MODEL)
    assert (response.text, response.warnings) == (ANSWER, ())
    assert sent["messages"] == SENT_AS_IMAGE_URL
