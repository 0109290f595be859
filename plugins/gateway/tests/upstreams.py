"""A provider family's recorded call replayed by a loopback upstream, for the family tests behind both APIs.

Most providers answer a call with one exchange: the recording is the reply to every request. A Replicate
call is several (:mod:`modelplex_testing.replicate_wire`): the creation, whose prediction's ``urls`` the
client follows, then its event stream and the prediction read for its metrics. The creation is the reply
to every request, its ``urls`` moved onto the loopback server; each follow-up is served at the path it
is followed to, so the same call can be made again (the SDK's raw-response call after the plain one).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from gateway_server import recording, replayed

from modelplex_testing import Recording
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.replicate_wire import addressed, rehomed, rehomed_link

#: The follow-ups of each recorded Replicate creation (the plugin's contract lists the same).
REPLICATE_FOLLOW_UPS = {
    "replicate/01_create_wait": ("replicate/01_get_succeeded",),
    "replicate/02_create_stream": ("replicate/02_stream", "replicate/02_get_succeeded"),
}


def model_of(plugin: str, rec: Recording) -> str:
    """The address of the model ``rec`` was recorded with: named in the body, in Gemini's URL, or in
    Replicate's route or version."""
    body = rec.request_body
    if plugin == "replicate":
        return f"replicate/{addressed(rec.request['url'], body)}"
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        return f"{plugin}/{body['model']}"
    return f"{plugin}/{rec.request['url'].split('/models/', 1)[1].split(':', 1)[0]}"


def _reply(rec: Recording, base: str) -> Reply:
    """``rec`` replayed, a prediction's ``urls`` pointing at ``base``."""
    body: Any = rec.response.get("body")
    if isinstance(body, dict) and isinstance(body.get("urls"), dict):
        return Reply.json(rehomed(body, base), status=rec.status)
    return replayed(rec)


def _path(rec: Recording, base: str) -> str:
    """Where a follow-up is asked for, once its prediction's urls point at ``base``."""
    return urlsplit(rehomed_link("stream" if rec.is_stream else "get", rec.request["url"], base)).path


@contextlib.contextmanager
def upstream(plugin: str, name: str, then: Sequence[str] | None = None) -> Iterator[ScriptedServer]:
    """A loopback server answering every request with the recording ``name`` of ``plugin``'s fixtures,
    and the recordings ``then`` (by default, a Replicate creation's follow-ups) where they are followed."""
    follow_ups = REPLICATE_FOLLOW_UPS.get(name, ()) if then is None else then
    server = ScriptedServer([Reply()])
    # The replies name the server's own port, known once it is bound: they are set before it serves.
    base = f"http://127.0.0.1:{server.port}"
    server.script = [_reply(recording(plugin, name), base)]
    server.routes = {_path(rec, base): _reply(rec, base)
                     for rec in (recording(plugin, each) for each in follow_ups)}
    with server:
        yield server
