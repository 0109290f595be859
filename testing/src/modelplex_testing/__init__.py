"""The Modelplex test kit: the provider contract, recorded-traffic replay, strategies and a fake provider."""

from modelplex_testing._canonical import CanonicalToolCodec
from modelplex_testing._clients import fake_client
from modelplex_testing.contract import FAKE_KEY, Expect, ProviderContract, Scenario
from modelplex_testing.replay import ChunkedStream, Recording, Replayer, load_recordings, split_at

__all__ = [
    "FAKE_KEY",
    "CanonicalToolCodec",
    "ChunkedStream",
    "Expect",
    "ProviderContract",
    "Recording",
    "Replayer",
    "Scenario",
    "fake_client",
    "load_recordings",
    "split_at",
]
