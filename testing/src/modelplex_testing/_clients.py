"""Clients wired to the fake provider alone, for application tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import modelplex


def fake_client(script: Sequence[Mapping[str, Any]] | None = None, *, name: str = "fake") -> modelplex.Client:
    """A sync client whose only provider is the scripted fake, registered as ``name``.

    No installed plugin, environment variable or config file takes part, so the test sees only the script.
    """
    from modelplex_testing import fake

    settings: dict[str, Any] = {} if script is None else {"script": [dict(t) for t in script]}
    return modelplex.Client(plugins={name: fake}, autoload=False, config_file=False, env={},
                            providers={name: settings})
