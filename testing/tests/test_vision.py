"""The plugins' shared vision check, through the generic OpenAI-compatible plugin on a scripted server."""

from __future__ import annotations

from modelplex_testing.vision import ANSWER, SENT_AS_IMAGE_URL, chat_with_an_image


def test_the_image_reaches_the_server_as_a_data_url_beside_the_question() -> None:
    response, sent = chat_with_an_image("openai-like", "vision-1", {"api_key": "sk-given"})
    assert (response.text, response.warnings) == (ANSWER, ())
    assert sent["model"] == "vision-1" and sent["messages"] == SENT_AS_IMAGE_URL
