"""What one invocation of the command shares: the client, built on demand, closed at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import modelplex


class State:
    """The per-invocation state kept in the root context's ``obj``.

    ``client`` is built on first use and closed when the invocation ends. A caller may hand in its
    own client (``cli.main(obj=client)``); it is then used as is and left open.
    """

    def __init__(self, client: modelplex.Client | None = None) -> None:
        self._client = client
        self._owned = client is None
        self.plugin_commands: dict[str, click.Command] | None = None

    @property
    def client(self) -> modelplex.Client:
        if self._client is None:
            import modelplex

            self._client = modelplex.Client()
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._owned:
            client.close()


def get_state(ctx: click.Context) -> State:
    """The invocation's :class:`State`, created (and scheduled for closing) on first use."""
    root = ctx.find_root()
    if isinstance(root.obj, State):
        return root.obj
    from modelplex._sync import Client

    state = State(root.obj if isinstance(root.obj, Client) else None)
    root.obj = state
    root.call_on_close(state.close)
    return state
