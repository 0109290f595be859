"""xAI's errors: a wrong API key comes back as HTTP 400 ("Incorrect API key provided"), which is an
authentication failure (not retried, not a bad request to fix), as every other provider's 401 is."""

from __future__ import annotations

from modelplex_openai_compat import ErrorResponse, error_details, parse_body
from modelplex_openai_compat import map_error as map_compat

from modelplex.errors import APIStatusError
from modelplex.toolkit.status import error_for_status


def map_error(error: ErrorResponse) -> APIStatusError:
    """The shared mapping, with a 400 that says the key is wrong mapped as the 401 it means (its
    status stays the 400 xAI sent)."""
    if error.status_code != 400 or b"Incorrect API key" not in error.body:
        return map_compat(error)
    text = error.body.decode("utf-8", errors="replace").strip()
    message, code = error_details(parse_body(error.body), text)
    return error_for_status(400, message, provider=error.provider, model=error.model, code=code,
                            body=text, headers=error.headers, as_status=401)
