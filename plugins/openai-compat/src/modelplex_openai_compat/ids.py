"""Tool-call ids live in :mod:`modelplex.toolkit`; the name stays for the library's users."""

from modelplex.toolkit.ids import ToolCallIds

__all__ = ["ToolCallIds"]
