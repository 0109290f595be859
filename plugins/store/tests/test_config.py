"""Where the store is and whether it records: ``[store]``, ``MODELPLEX_STORE_URL``, ``MODELPLEX_STORE``,
the data directory; and the installed plugin, found through its entry point, recording by default into
the data directory with no set-up, and off when told."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from modelplex_store.config import StoreConfig, data_dir, recording, resolve
from modelplex_store.recorder import Recorder

from modelplex._plugins import Registry
from modelplex.errors import ConfigurationError


def test_the_default_store_is_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    config = resolve({}, {"MODELPLEX_DATA_DIR": str(tmp_path)})
    assert config == StoreConfig(url=str(tmp_path / "logs.db"), data_dir=tmp_path, enabled=True,
                                 content=False)
    assert config.spool_path.parent == tmp_path / "spool"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG directories are Linux's")
def test_the_data_directory_follows_xdg_without_an_override(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # platformdirs reads the process environment
    assert data_dir({}) == tmp_path / "modelplex"
    assert data_dir({"MODELPLEX_DATA_DIR": "/elsewhere"}) == Path("/elsewhere")


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    file = {"store": {"url": "postgresql://db/a", "content": True}}
    env = {"MODELPLEX_DATA_DIR": str(tmp_path), "MODELPLEX_STORE_URL": "postgresql://db/b"}
    config = resolve(file, env)
    assert (config.url, config.content, config.enabled) == ("postgresql://db/b", True, True)
    assert not resolve(file, {**env, "MODELPLEX_STORE": "off"}).enabled
    assert not resolve({"store": {"enabled": False}}, env).enabled


@pytest.mark.parametrize("table", [{}, {"enabled": True}, {"enabled": False}, {"url": "postgresql://db/a"}])
@pytest.mark.parametrize("switch", [None, "off", "0", " False ", "no", "on", "1", ""])
def test_whether_it_records_is_what_the_whole_resolution_says(table: dict[str, object],
                                                              switch: str | None) -> None:
    """Discovery asks only ``recording()`` (no data directory, no ``platformdirs``): it must agree."""
    env = {"MODELPLEX_DATA_DIR": "x"}
    if switch is not None:
        env["MODELPLEX_STORE"] = switch
    assert recording({"store": table}, env) is resolve({"store": table}, env).enabled


def test_whether_it_records_is_a_clear_error_for_a_wrong_switch() -> None:
    env = {"MODELPLEX_DATA_DIR": "x"}
    with pytest.raises(ConfigurationError, match="'enabled' must be true or false"):
        recording({"store": {"enabled": "yes"}}, env)
    with pytest.raises(ConfigurationError, match=r"\[store\] must be a table"):
        recording({"store": "on"}, env)


def test_the_url_s_password_is_not_in_the_repr(tmp_path: Path) -> None:
    config = resolve({"store": {"url": "postgresql://app:hunter2-secret@db/log"}},
                     {"MODELPLEX_DATA_DIR": "x"})
    assert "hunter2-secret" not in repr(config) and "hunter2-secret" not in repr(Recorder(config))


@pytest.mark.parametrize(("table", "message"), [
    ({"enabled": "yes"}, "'enabled' must be true or false"),
    ({"url": 5}, "'url' must be a string"),
    ({"spool_max_rows": -1}, "'spool_max_rows' must be a whole number"),
    ({"urll": "x"}, "unknown setting"),
    ({"writer": "fast"}, "'writer' must be one of 'process', 'thread', got 'fast'"),
])
def test_a_wrong_setting_is_a_clear_error(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        resolve({"store": table}, {"MODELPLEX_DATA_DIR": "x"})


def test_a_config_that_cannot_be_read_turns_recording_off_loudly(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[store]\nenabled = "maybe"\n')
    with pytest.warns(RuntimeWarning, match="recording is off.*'enabled' must be true or false"):
        recorder = Recorder.from_config({"MODELPLEX_CONFIG": str(config),
                                         "MODELPLEX_DATA_DIR": str(tmp_path)})
    assert not recorder.config.enabled


def test_the_store_is_found_as_a_lifecycle_plugin() -> None:
    registry = Registry(env={})
    record = registry.lifecycle_plugins["store"]
    assert (record.distribution, record.hooks) == ("modelplex-store", (
        "modelplex_after_call", "modelplex_conversation_store", "modelplex_register_commands"))
    assert "store" not in registry.records  # it owns no provider name


@pytest.mark.parametrize("switch", ["env", "config"])
def test_the_store_turned_off_hooks_no_call(switch: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # F4: turned off, the store still heard every call (and answered the conversation-store hook) only to
    # do nothing; now it keeps its commands alone, and a client with no other call hook pays nothing.
    config = tmp_path / "config.toml"
    config.write_text("[store]\nenabled = false\n" if switch == "config" else "")
    monkeypatch.setenv("MODELPLEX_CONFIG", str(config))
    if switch == "env":
        monkeypatch.setenv("MODELPLEX_STORE", "off")
    registry = Registry(env={"MODELPLEX_PLUGINS": "store"})
    assert registry.lifecycle_plugins["store"].hooks == ("modelplex_register_commands",)
    assert not registry.lifecycle.active
    monkeypatch.delenv("MODELPLEX_STORE", raising=False)
    config.write_text("")
    on = Registry(env={"MODELPLEX_PLUGINS": "store"})  # the switch is read again at each discovery
    assert "modelplex_after_call" in on.lifecycle_plugins["store"].hooks


def test_stats_with_the_store_turned_off_are_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Turned off, the entry point's object has no recorder: stats() raised AttributeError.
    from modelplex_store import stats
    from modelplex_store.writer import StoreStats

    monkeypatch.setenv("MODELPLEX_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    monkeypatch.setenv("MODELPLEX_STORE", "off")
    Registry(env={"MODELPLEX_PLUGINS": "store"})
    assert stats() == StoreStats()


CALL = """
import json, modelplex
with modelplex.Client() as client:
    client.chat("fake/m", "hello", caller="cli-test")
print(json.dumps("done"))
"""


def _run(tmp_path: Path, **env: str) -> None:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text("")
    environ = {"PATH": "/usr/bin:/bin", "MODELPLEX_DATA_DIR": str(tmp_path / "data"),
               "MODELPLEX_CONFIG": str(tmp_path / "config.toml"), **env}
    done = subprocess.run([sys.executable, "-c", CALL], capture_output=True, text=True, env=environ,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == "done"


def test_installed_it_records_every_call_with_no_set_up(tmp_path: Path) -> None:
    _run(tmp_path)
    with sqlite3.connect(tmp_path / "data" / "logs.db") as db:
        assert db.execute("SELECT provider, model, caller, status FROM calls").fetchall() == \
            [("fake", "m", "cli-test", "ok")]


def test_the_config_file_names_the_store(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(f'[store]\nurl = "{tmp_path / "mine.db"}"\n')
    _run(tmp_path)
    with sqlite3.connect(tmp_path / "mine.db") as db:
        assert db.execute("SELECT count(*) FROM calls").fetchone() == (1,)
    assert not (tmp_path / "data" / "logs.db").exists()


def test_modelplex_store_off_records_nothing(tmp_path: Path) -> None:
    _run(tmp_path, MODELPLEX_STORE="off")
    assert not (tmp_path / "data").exists()


STATS = """
import json, modelplex, modelplex_store
with modelplex.Client() as client:
    client.chat("fake/m", "hello")
    client.chat("fake/m", "hello", tags={"store": "off"})
assert modelplex_store.flush()  # the journaled call's row committed
s = modelplex_store.stats()
print(json.dumps([s.recorded, s.lost, s.pending]))
"""


def test_the_installed_recorder_s_counters_are_readable_from_the_api(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("")
    environ = {"PATH": "/usr/bin:/bin", "MODELPLEX_DATA_DIR": str(tmp_path / "data"),
               "MODELPLEX_CONFIG": str(tmp_path / "config.toml")}
    done = subprocess.run([sys.executable, "-c", STATS], capture_output=True, text=True, env=environ,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [1, 0, 0]


def test_the_recorder_follows_the_store_the_environment_names(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # One recorder was built for the whole process from the first call's environment: a process that
    # then pointed MODELPLEX_DATA_DIR elsewhere (the cross-package suite, one data directory a test)
    # recorded into the first store, and conversations found no usage row for their replies.
    from modelplex_store.plugin import StorePlugin

    plugin = StorePlugin()
    (tmp_path / "config.toml").write_text("")
    monkeypatch.setenv("MODELPLEX_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "a"))
    first = plugin.recorder
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "b"))
    second = plugin.recorder
    try:
        assert first is not second and plugin.recorder is second
        monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "a"))
        assert plugin.recorder is first
    finally:
        first.close()
        second.close()


def test_the_writer_is_a_process_except_in_a_modelplex_command_that_ends(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    """A writer process costs its start (100-150 ms) to a command that records one call: ``modelplex
    chat`` writes from a thread; an application, and ``modelplex serve``, through a process. Whatever
    names a writer wins."""
    import modelplex._cli as command

    env = {"MODELPLEX_DATA_DIR": str(tmp_path)}
    assert resolve({}, env).writer == "process"  # not the modelplex command: an application
    monkeypatch.setattr(command, "_running", "chat")
    assert resolve({}, env).writer == "thread"
    assert resolve({"store": {"writer": "process"}}, env).writer == "process"
    assert resolve({}, {**env, "MODELPLEX_STORE_WRITER": "process"}).writer == "process"
    monkeypatch.setattr(command, "_running", "serve")
    assert resolve({}, env).writer == "process"
    with pytest.raises(ConfigurationError, match="MODELPLEX_STORE_WRITER must be one of"):
        resolve({}, {**env, "MODELPLEX_STORE_WRITER": "fork"})


def test_calls_return_once_journaled_unless_the_config_asks_for_the_commit(tmp_path: Path) -> None:
    env = {"MODELPLEX_DATA_DIR": str(tmp_path)}
    assert resolve({}, env).durability == "journal"
    assert resolve({"store": {"durability": "commit"}}, env).durability == "commit"
    assert resolve({"store": {"durability": "commit"}},
                   {**env, "MODELPLEX_STORE_DURABILITY": "journal"}).durability == "journal"
    message = r"\[store\] 'durability' must be one of 'journal', 'commit', got 'fsync'"
    with pytest.raises(ConfigurationError, match=message):
        resolve({"store": {"durability": "fsync"}}, env)
    with pytest.raises(ConfigurationError, match="MODELPLEX_STORE_DURABILITY must be one of"):
        resolve({}, {**env, "MODELPLEX_STORE_DURABILITY": "later"})
