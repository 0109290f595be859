"""Reading a dashboard form: htmx and plain forms post ``application/x-www-form-urlencoded`` bodies,
read here without a multipart parser (no form of the dashboard uploads a file)."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request


async def form(request: Request) -> dict[str, list[str]]:
    """Every field of the posted form, each with its values in order."""
    return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


def first(fields: dict[str, list[str]], name: str) -> str:
    """The first value of field ``name``, stripped (empty when absent)."""
    return (fields.get(name) or [""])[0].strip()
