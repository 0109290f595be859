"""``modelplex keys set`` in a real terminal (issue 16, item 2): the key is typed at a prompt that does not
echo it, and the terminal shows none of it afterwards."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

from modelplex_testing import modelplex_command

KEY = "gsk_TypedAtThePrompt0123456789"


def _read_until(fd: int, marker: bytes, seen: bytearray, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the other end closed
                return


def test_the_prompt_hides_the_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPLEX_", "XDG_"))
           and not k.endswith("_API_KEY")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), MODELPLEX_STATE_DIR=str(tmp_path / "state"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", TERM="dumb")
    main, secondary = pty.openpty()
    proc = subprocess.Popen([modelplex_command(), "keys", "set", "groq"], stdin=secondary, stdout=secondary,
                            stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    seen = bytearray()
    try:
        _read_until(main, b"API key for groq: ", seen)
        assert b"API key for groq: " in seen, bytes(seen)
        os.write(main, KEY.encode() + b"\r")
        _read_until(main, b"stored in", seen)
        _read_until(main, b"\n", seen, timeout=2)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    assert b"key ending 6789 stored in" in seen
    assert KEY.encode() not in seen and KEY[:-4].encode() not in seen
    stored = json.loads((tmp_path / "config" / "modelplex" / "keys.json").read_text())
    assert stored["providers"]["groq"] == {"key": KEY}
