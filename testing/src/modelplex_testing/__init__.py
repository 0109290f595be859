"""The Modelplex test kit: the provider contract, recorded-traffic replay, strategies, a fake provider and
loopback servers (the scripted OpenAI-compatible :class:`ScriptedServer`, the :class:`FaultServer`).

Names load on first use: discovering the ``fake`` plugin (``modelplex_testing.fake``) must not import
pytest and Hypothesis into every ``modelplex`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex._lazy import lazy_exports

if TYPE_CHECKING:
    from modelplex_testing._canonical import CanonicalToolCodec
    from modelplex_testing._cli import cli_env, interruptible, modelplex_command
    from modelplex_testing._clients import fake_client
    from modelplex_testing._serving import serving
    from modelplex_testing.compat_server import Received, Reply, ScriptedServer
    from modelplex_testing.contract import FAKE_KEY, Expect, ProviderContract, Scenario
    from modelplex_testing.faults import FaultServer
    from modelplex_testing.replay import ChunkedStream, Recording, Replayer, load_recordings, split_at

_WHERE = {
    "FAKE_KEY": "contract",
    "CanonicalToolCodec": "_canonical",
    "ChunkedStream": "replay",
    "Expect": "contract",
    "FaultServer": "faults",
    "ProviderContract": "contract",
    "Received": "compat_server",
    "Recording": "replay",
    "Replayer": "replay",
    "Reply": "compat_server",
    "Scenario": "contract",
    "ScriptedServer": "compat_server",
    "cli_env": "_cli",
    "fake_client": "_clients",
    "interruptible": "_cli",
    "load_recordings": "replay",
    "modelplex_command": "_cli",
    "serving": "_serving",
    "split_at": "replay",
}

__all__ = [
    "FAKE_KEY",
    "CanonicalToolCodec",
    "ChunkedStream",
    "Expect",
    "FaultServer",
    "ProviderContract",
    "Received",
    "Recording",
    "Replayer",
    "Reply",
    "Scenario",
    "ScriptedServer",
    "cli_env",
    "fake_client",
    "interruptible",
    "load_recordings",
    "modelplex_command",
    "serving",
    "split_at",
]


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
