"""The router's own errors on the Modelplex error tree.

The router answers a model no enabled provider serves with HTTP 400 ("The requested model 'x' is not
supported by any provider you have enabled", code ``model_not_supported``): that is a model that cannot
be reached under this name, so it is a :class:`~modelplex.errors.ModelNotFoundError` (status 400 kept),
not a bad request a retry with other settings would fix.
"""

from __future__ import annotations

import re

from modelplex_openai_compat import ErrorResponse, error_details, parse_body
from modelplex_openai_compat import map_error as map_compat

from modelplex.errors import APIStatusError, ModelNotFoundError

_NOT_SERVED = re.compile(r"not supported by any provider|model_not_supported", re.IGNORECASE)


def map_error(error: ErrorResponse) -> APIStatusError:
    """The shared mapping; a model no enabled provider serves becomes a ``ModelNotFoundError``."""
    mapped = map_compat(error)
    if not 400 <= error.status_code < 500 or isinstance(mapped, ModelNotFoundError):
        return mapped
    message, code = error_details(parse_body(error.body), str(mapped))
    if not _NOT_SERVED.search(f"{message} {code or ''}"):
        return mapped
    return ModelNotFoundError(
        f"{message} (enable a provider for it at https://huggingface.co/settings/inference-providers, "
        "or name one with a suffix such as :groq)", provider=error.provider, model=error.model,
        status_code=error.status_code, body=mapped.body, code=code or "model_not_supported")
