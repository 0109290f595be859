"""A client used without ``with`` and never closed (issue 16: it printed ``ResourceWarning: Unclosed client
session``): the sync client closes itself at exit; an async one closes its connections when collected on a
running loop, and otherwise says exactly what to do."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN = '''
import asyncio, gc, sys
import modelplex
from modelplex import ChatResponse, ProviderInfo, TextPart
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing.compat_server import Reply, ScriptedServer

class Wired:
    @hookimpl
    def modelplex_provider_info(self):
        return ProviderInfo(spec_version=SPEC_VERSION)

    @hookimpl
    def modelplex_chat(self, ctx, request):
        async def run():
            response = await ctx.post_json(f"{ctx.settings.base_url}/chat", {}, {})
            return ChatResponse(provider=ctx.name, model=request.model,
                                parts=[TextPart(text=response.json()["text"])])
        return run()

server = ScriptedServer([Reply.json({"text": "hi"})]).__enter__()
ARGS = dict(plugins={"wired": Wired()}, autoload=False, config_file=False, env={},
            providers={"wired": {"base_url": server.url}})
'''


def run(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(PLUGIN + textwrap.dedent(body), encoding="utf-8")
    return subprocess.run([sys.executable, "-W", "error::ResourceWarning", str(script)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_sync_client_kept_in_a_global_and_never_closed_leaves_no_warning(tmp_path: Path) -> None:
    done = run(tmp_path, '''
        client = modelplex.Client(**ARGS)
        print(client.chat("wired/m", "hello").text)
    ''')
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hi\n"
    assert done.stderr == ""


def test_a_sync_client_dropped_without_closing_leaves_no_warning(tmp_path: Path) -> None:
    done = run(tmp_path, '''
        def once():
            return modelplex.Client(**ARGS).chat("wired/m", "hello").text
        print(once())
        gc.collect()
    ''')
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("hi\n", "")


def test_an_async_client_collected_on_its_running_loop_closes_its_connections(tmp_path: Path) -> None:
    done = run(tmp_path, '''
        async def main():
            client = modelplex.AsyncClient(**ARGS)
            print((await client.chat("wired/m", "hello")).text)
            del client
            gc.collect()
            await asyncio.sleep(0)  # the aborted connection's loose ends, on the loop
        asyncio.run(main())
    ''')
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("hi\n", "")


def test_an_async_client_outliving_its_loop_says_what_to_do(tmp_path: Path) -> None:
    done = run(tmp_path, '''
        import warnings
        kept = []
        async def main():
            kept.append(modelplex.AsyncClient(**ARGS))
            print((await kept[0].chat("wired/m", "hello")).text)
        asyncio.run(main())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kept.clear()
            gc.collect()
        ours = [str(w.message) for w in caught if "modelplex.AsyncClient" in str(w.message)]
        print(ours[0] if ours else "no advice")
    ''')
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "hi", "a modelplex.AsyncClient (providers wired) was not closed before its event loop ended, so its "
              "connections could not be: use 'async with AsyncClient(...) as client:', or 'await "
              "client.aclose()' before the loop ends"]
