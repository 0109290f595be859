"""Whether a URL points at this machine: :func:`is_loopback`."""

from __future__ import annotations


def is_loopback(url: str | None) -> bool:
    """Whether ``url``'s host is this machine: ``localhost`` or a loopback address (``127.0.0.0/8``,
    ``::1``). A server there runs locally (no key needed, its models are the local chain's); any
    other host, a name that merely resolves to one, or no URL at all, is not.
    """
    # Imported here: the router calls this only for the local chain, and `import modelplex` stays light.
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
