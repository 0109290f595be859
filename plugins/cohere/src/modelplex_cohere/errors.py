"""Cohere's error answers on the Modelplex error tree.

An error body is ``{"id"?, "message"}`` (https://docs.cohere.com/reference/errors lists the messages):
401 ``invalid api token`` / ``no api key supplied``, 429 for a trial key's or an account's rate limit,
400 ``invalid request: ...`` and ``too many tokens: ...``, 404 for a model that does not exist.
:func:`modelplex.toolkit.error_for_status` picks the class from the status (and so whether it is
retried); the message says what only it can tell: an unknown model, a prompt too long for the model.
Cohere also answers 498 for a token it rejects, which is treated as the 401 it means.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from modelplex.errors import APIStatusError
from modelplex.toolkit import error_details, error_for_status, parse_body

_NO_MODEL = re.compile(r"model .*(not found|does not exist)|unknown model", re.IGNORECASE)
_TOO_LONG = re.compile(r"too many tokens|context length|too long", re.IGNORECASE)
_INVALID_TOKEN = 498  # Cohere's "invalid token" status


def map_error(*, provider: str, model: str | None, status: int, body: bytes,
              headers: Mapping[str, str], reason: str = "") -> APIStatusError:
    """The error for one error answer, with Cohere's own message in it."""
    text = body.decode("utf-8", errors="replace").strip()
    message, code = error_details(parse_body(body), text or reason)
    return error_for_status(status, message, provider=provider, model=model, code=code,
                            body=text or None, headers=headers,
                            as_status=401 if status == _INVALID_TOKEN else None,
                            model_not_found=bool(_NO_MODEL.search(message)),
                            context_length=bool(_TOO_LONG.search(message)))
