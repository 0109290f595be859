"""Fast JSON off the wire lives in :mod:`modelplex.toolkit`; the name stays for the library's users."""

from modelplex.toolkit.jsonread import loads

__all__ = ["loads"]
