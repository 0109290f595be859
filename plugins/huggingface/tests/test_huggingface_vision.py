"""Vision on the wire: an image in a user message goes to Hugging Face's router as an OpenAI ``image_url``
part carrying a data URL, beside the text, with nothing warned (the compatibility matrix's Vision cell)."""

from __future__ import annotations

import pytest

from modelplex_testing.vision import ANSWER, SENT_AS_IMAGE_URL, chat_with_an_image

MODEL = "Qwen/Qwen2.5-VL-7B-Instruct"


@pytest.mark.feature("vision", provider="huggingface")
def test_an_image_goes_as_an_image_url_data_url() -> None:
    response, sent = chat_with_an_image("huggingface", MODEL)
    assert (response.text, response.warnings) == (ANSWER, ())
    assert sent["messages"] == SENT_AS_IMAGE_URL
