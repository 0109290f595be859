"""How a request's model name becomes a call: ``provider/model``, ``chain/NAME`` and aliases are passed to
the client as addresses; ``agent/NAME`` calls as that agent (its model, system prompt, options and tags,
``client.chat(agent=NAME)``). The principal's scopes are checked against the name as given, and every
call carries the principal's ``caller`` and ``tags``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from modelplex_gateway.auth import Principal, require_scope
from modelplex_gateway.errors import GatewayError

if TYPE_CHECKING:
    import modelplex
    from modelplex import ChatResponse, ChatStream, Message

AGENT_PREFIX = "agent/"


def call_arguments(principal: Principal, model: str, tags: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The keyword arguments of ``client.chat``/``client.stream``/``client.embed`` that say what is
    called and for whom (``model`` or ``agent``, ``caller``, ``tags``), after the scope check."""
    require_scope(principal, model)
    out: dict[str, Any] = {"caller": principal.caller, "tags": principal.call_tags(tags)}
    if model.startswith(AGENT_PREFIX):
        out["agent"] = model[len(AGENT_PREFIX):]
        out["model"] = None
    else:
        out["model"] = model
    return out


def _known_agent(client: modelplex.AsyncClient, args: Mapping[str, Any]) -> None:
    """An unknown ``agent/NAME`` is a model that does not exist (404), not the server's fault."""
    name = args.get("agent")
    if name is None:
        return
    from modelplex._agents.resolve import agents_of

    if name not in agents_of(client):
        raise GatewayError(404, "not_found_error", f"no agent {name!r} is defined on this gateway",
                           code="model_not_found", param="model")


async def chat(client: modelplex.AsyncClient, principal: Principal, model: str,
               messages: Sequence[Message], options: Mapping[str, Any],
               tags: Mapping[str, str] | None = None) -> ChatResponse:
    """One whole reply."""
    args = call_arguments(principal, model, tags)
    _known_agent(client, args)
    return await client.chat(args.pop("model"), list(messages), **args, **options)


def stream(client: modelplex.AsyncClient, principal: Principal, model: str, messages: Sequence[Message],
           options: Mapping[str, Any], tags: Mapping[str, str] | None = None) -> ChatStream:
    """A stream, not yet opened."""
    args = call_arguments(principal, model, tags)
    _known_agent(client, args)
    return client.stream(args.pop("model"), list(messages), **args, **options)
