"""httpx's command line loads when it runs, not with httpx (``modelplex/_httpx_cli.py``): a process
making calls imports neither click nor rich nor pygments for it, and ``httpx.main`` still works. Each
check runs in a fresh interpreter: what is imported is a property of the whole process."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

CLI_PACKAGES = ("click", "rich", "pygments")


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_cli_packages_are_installed_here_so_httpx_would_import_them() -> None:
    """The control: without modelplex first, httpx imports all three (else the checks below prove
    nothing)."""
    assert all(importlib.util.find_spec(name) is not None for name in CLI_PACKAGES)
    done = run(f"""
        import sys, httpx
        print(sorted(m for m in {CLI_PACKAGES!r} if m in sys.modules))
        """)
    assert done.stdout.split("\n")[0] == str(sorted(CLI_PACKAGES)), done.stderr


def test_a_client_path_imports_none_of_httpx_cli() -> None:
    done = run(f"""
        import sys
        import modelplex, modelplex._http, httpx
        client = httpx.Client()
        client.close()
        print(sorted(m for m in sys.modules if m.split(".")[0] in {CLI_PACKAGES!r}))
        """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_httpx_main_runs_the_real_command_line() -> None:
    done = run("""
        import modelplex, httpx
        httpx.main(["--help"])
        """)
    assert done.returncode == 0, done.stderr
    assert "Usage: httpx" in done.stdout and "--method" in done.stdout


def test_names_read_from_httpx_main_are_the_real_ones() -> None:
    done = run("""
        import sys
        import modelplex, httpx
        from httpx._main import print_response
        real = sys.modules["httpx._main"]
        print(print_response.__module__, real.__file__.endswith("_main.py"), "rich" in sys.modules)
        """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["httpx._main", "True", "True"]


def test_httpx_imported_first_is_left_as_it_is() -> None:
    done = run("""
        import sys
        import httpx
        real = sys.modules["httpx._main"]
        import modelplex
        print(sys.modules["httpx._main"] is real, httpx.main is real.main)
        """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


@pytest.mark.parametrize("missing", CLI_PACKAGES)
def test_without_the_cli_packages_httpx_main_says_what_httpx_says(missing: str) -> None:
    done = run(f"""
        import sys
        sys.modules[{missing!r}] = None  # not installed, as far as imports can tell
        import modelplex, httpx
        httpx.main(["--help"])
        """)
    assert done.returncode == 1
    assert "pip install 'httpx[cli]'" in done.stdout
    assert "Traceback" not in done.stderr
