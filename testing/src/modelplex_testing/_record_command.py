"""``modelplex-testing record``: one real call through the :class:`~modelplex_testing.recording.Recorder`,
written as a recording a contract scenario can replay.

::

    modelplex-testing record acme/acme-1 "Say hello" --out tests/fixtures/01_chat_text.json
    modelplex-testing record acme/acme-1 "Count to 3" --stream --out tests/fixtures/02_stream_text.json
    modelplex-testing record acme/acme-embed "hello" --call embed --out tests/fixtures/03_embed.json
    modelplex-testing record acme --call list_models --out tests/fixtures/04_models.json

The provider is configured as for any ``modelplex`` call (the config file, ``--set key=value``, the
environment). Every environment variable whose name ends in ``_KEY`` or ``_TOKEN`` is scrubbed from the
files, besides the credential headers and query parameters the requests carry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelplex_testing._recorder import Recorder

__all__ = ["main"]

_CALLS = ("chat", "stream", "embed", "list_models")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelplex-testing",
                                     description="The Modelplex test kit's commands.")
    commands = parser.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record", help="record one real exchange for the contract kit",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    record.add_argument("address", help="provider/model (a provider alone for --call list_models)")
    record.add_argument("prompt", nargs="?", default="",
                        help="the user message (the input, for --call embed)")
    record.add_argument("--out", required=True, type=Path, help="the recording to write (.json)")
    record.add_argument("--call", choices=_CALLS, default="chat")
    record.add_argument("--stream", action="store_true", help="shorthand for --call stream")
    record.add_argument("--system", help="a system message before the prompt")
    record.add_argument("--description", help="what the exchange shows (default: the call and prompt)")
    record.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="a provider setting (a JSON value, else a string); repeatable")
    record.add_argument("--option", dest="options", action="append", default=[], metavar="KEY=VALUE",
                        help="a call option such as max_tokens=20 (a JSON value, else a string)")
    return parser


def _pairs(items: Sequence[str], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"modelplex-testing: {what} {item!r} is not KEY=VALUE")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


def env_secrets(env: Mapping[str, str]) -> list[str]:
    """The values of the environment's ``*_KEY`` and ``*_TOKEN`` variables (keys of any provider)."""
    return [v for k, v in env.items() if k.upper().endswith(("_KEY", "_TOKEN")) and len(v) >= 8]


async def _record(args: argparse.Namespace, env: Mapping[str, str], recorder: Recorder, call: str) -> None:
    import modelplex

    provider = args.address.partition("/")[0]
    settings = _pairs(args.settings, "--set")
    options = _pairs(args.options, "--option")
    messages = [modelplex.Message.system(args.system)] if args.system else []
    messages.append(modelplex.Message.user(args.prompt))
    async with modelplex.AsyncClient(transport=recorder, env=env,
                                     providers={provider: settings} if settings else None) as client:
        if call == "chat":
            await client.chat(args.address, messages, **options)
        elif call == "stream":
            async with client.stream(args.address, messages, **options) as stream:
                async for _ in stream:
                    pass
        elif call == "embed":
            await client.embed(args.address, [args.prompt], **options)
        else:
            await client.list_models(provider)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run ``modelplex-testing``; the exit status."""
    args = _parser().parse_args(argv)
    environment = dict(os.environ if env is None else env)
    from modelplex_testing._recorder import Recorder

    call = "stream" if args.stream else args.call
    recorder = Recorder(args.out, description=args.description or f"{call} {args.address}: {args.prompt!r}",
                        secrets=env_secrets(environment), source={"call": call, "address": args.address})
    try:
        asyncio.run(_record(args, environment, recorder, call))
    except Exception as exc:
        # An error answer (a 401, a 429) is worth recording too: the error scenarios replay those.
        print(f"modelplex-testing: the call raised {type(exc).__name__}: {exc}", file=sys.stderr)
    if not recorder.written:
        print("modelplex-testing: no exchange was recorded", file=sys.stderr)
        return 1
    for path in recorder.written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
