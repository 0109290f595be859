"""Where :mod:`modelplex_gateway.cli` finds the ``keys`` commands (they live in
:mod:`modelplex_gateway.cli_keys`)."""

from __future__ import annotations

from modelplex_gateway.cli_keys import register

__all__ = ["register"]
