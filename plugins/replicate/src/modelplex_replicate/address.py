"""Which prediction route a model id names: Replicate addresses a model three ways.

=========================================  ==========================================================
model id (after ``replicate/``)            request
=========================================  ==========================================================
``meta/meta-llama-3-8b-instruct``           ``POST /v1/models/meta/meta-llama-3-8b-instruct/predictions``
                                           (an official model: Replicate runs its current version)
``owner/name:<version id>``                 ``POST /v1/predictions`` with ``"version": "<version id>"``
``<version id>`` (64 hex digits)            the same, with no model name
``deployments/owner/name``                  ``POST /v1/deployments/owner/name/predictions``
=========================================  ==========================================================
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

from modelplex.errors import InvalidRequestError

_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_MODEL = re.compile(rf"^{_NAME}/{_NAME}$")
_VERSION = re.compile(r"^[0-9a-f]{64}$")
_VERSIONED = re.compile(rf"^(?P<model>{_NAME}/{_NAME}):(?P<version>[0-9A-Za-z-]+)$")
DEPLOYMENTS = "deployments/"


@attrs.frozen(kw_only=True, slots=True)
class Target:
    """Where a prediction for one model id is created.

    ``path`` is relative to the base URL; ``version`` goes in the body when set; ``family`` is the
    model's ``owner/name`` where the id says it (the input shape depends on it), else ``""``.
    """

    kind: Literal["model", "version", "deployment"]
    path: str
    version: str | None = None
    family: str = ""


def target(model: str, *, provider: str) -> Target:
    """The :class:`Target` of ``model``, or an :class:`InvalidRequestError` listing the three forms."""
    if model.startswith(DEPLOYMENTS):
        name = model[len(DEPLOYMENTS):]
        if _MODEL.match(name):
            return Target(kind="deployment", path=f"deployments/{name}/predictions", family=name)
    elif _VERSION.match(model):
        return Target(kind="version", path="predictions", version=model)
    elif (found := _VERSIONED.match(model)) is not None:
        return Target(kind="version", path="predictions", version=found["version"], family=found["model"])
    elif _MODEL.match(model):
        return Target(kind="model", path=f"models/{model}/predictions", family=model)
    raise InvalidRequestError(
        f"{model!r} is not a Replicate model id: use owner/name (an official model), owner/name:<version>, "
        "a 64-digit version id, or deployments/owner/name", field="model", provider=provider, model=model)
