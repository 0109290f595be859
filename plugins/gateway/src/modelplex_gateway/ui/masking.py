"""What the dashboard may show of a secret: its last four characters, as ``modelplex keys list`` does."""

from __future__ import annotations

#: Characters shown of a key (the key store's own rule).
SHOWN = 4


def ending(secret: str) -> str:
    """``secret``'s last four characters, or nothing of a value too short to hide the rest."""
    # A value of eight characters or less would be half shown: nothing of it, then.
    return secret[-SHOWN:] if len(secret) > 2 * SHOWN else ""
