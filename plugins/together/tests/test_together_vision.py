"""Vision on the wire: an image in a user message goes to Together as an OpenAI ``image_url`` part carrying
a data URL, beside the text, with nothing warned (the compatibility matrix's Vision cell)."""

from __future__ import annotations

import pytest

from modelplex_testing.vision import ANSWER, SENT_AS_IMAGE_URL, chat_with_an_image

MODEL = "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"


@pytest.mark.feature("vision", provider="together")
def test_an_image_goes_as_an_image_url_data_url() -> None:
    response, sent = chat_with_an_image("together", MODEL)
    assert (response.text, response.warnings) == (ANSWER, ())
    assert sent["messages"] == SENT_AS_IMAGE_URL
