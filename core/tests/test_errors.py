"""Every error class says, in its own docstring, what raises it and what to do about it (issue 11, item 8),
and the request error of issue 11, item 3 keeps its shape."""

from __future__ import annotations

import pytest

from modelplex import errors
from modelplex.errors import InvalidRequestError, ModelplexError


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_class_has_its_own_docstring(name: str) -> None:
    cls = getattr(errors, name)
    doc = cls.__dict__.get("__doc__")  # not one inherited from a base
    assert doc, f"{name} has no docstring"
    assert len(doc.split()) >= 8, f"{name}'s docstring says too little: {doc!r}"


def test_invalid_request_error_is_a_value_error_naming_the_field() -> None:
    error = InvalidRequestError("expected str, got NoneType", field="messages[3].parts[0].text")
    assert isinstance(error, ValueError)
    assert isinstance(error, ModelplexError)
    assert str(error) == "messages[3].parts[0].text: expected str, got NoneType"
    assert (error.field, error.provider, error.model) == ("messages[3].parts[0].text", None, None)


def test_invalid_request_error_names_the_provider_and_model_when_known() -> None:
    error = InvalidRequestError("anthropic takes 0 to 1, got 1.5", field="temperature",
                                provider="anthropic", model="claude-x")
    assert str(error) == "anthropic/claude-x: temperature: anthropic takes 0 to 1, got 1.5"
    assert repr(error) == f"InvalidRequestError({str(error)!r})"


def test_invalid_request_error_scrubs_what_it_quotes() -> None:
    error = InvalidRequestError("expected a JSON value, got 'sk-AbCdEfGh12345678'", field="extra.key")
    assert "sk-AbCdEfGh12345678" not in str(error)
