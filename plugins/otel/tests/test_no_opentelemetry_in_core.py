"""The core imports nothing of OpenTelemetry: not on ``import modelplex``, not when a client makes a call
with the otel plugin disabled; and the plugin itself imports it only on the first call it hears."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from modelplex_testing import FAKE_KEY, Reply, ScriptedServer

OK = Reply.json({"id": "c1", "object": "chat.completion", "model": "gpt-4o",
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "Paris."}}],
                 "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10}})


def _run(script: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _script(url: str, env: dict[str, str]) -> str:
    """A call from a client whose plugins are found by their entry points, as installed, in ``env``."""
    return f"""
        import sys
        import modelplex
        assert not [m for m in sys.modules if m.startswith("opentelemetry")], "import modelplex"
        with modelplex.Client(config_file=False, env={env!r},
                              providers={{"openai": {{"api_key": {FAKE_KEY!r}, "base_url": {url!r},
                                                      "api": "chat_completions"}}}}) as c:
            print(c.chat("openai/gpt-4o", "hi").text)
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")) != [])
    """


# Only these two of the installed plugins: the usage store must not record the tests' calls.
ENABLED = {"MODELPLEX_PLUGINS": "openai,otel"}


def test_a_call_with_the_plugin_disabled_imports_no_opentelemetry() -> None:
    with ScriptedServer([OK]) as server:
        out = _run(_script(server.url, {**ENABLED, "MODELPLEX_DISABLE_PLUGINS": "otel"}), dict(os.environ))
    assert out.splitlines()[0] == "Paris." and out.splitlines()[-1] == "False"


def test_the_installed_plugin_imports_opentelemetry_only_when_a_call_is_heard() -> None:
    """The same call with the plugin enabled (its entry point loaded) does import it: the check above
    can fail."""
    env = dict(os.environ)
    with ScriptedServer([OK]) as server:
        out = _run(_script(server.url, ENABLED), env)
    assert out.splitlines()[0] == "Paris." and out.splitlines()[-1] == "True"
    discovery = _run("""
        import sys
        import modelplex, modelplex_otel.plugin
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")) != [])
    """, env)
    assert discovery == "False"
