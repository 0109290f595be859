"""Write every generated page of the documentation site (run by ``nox -s docs`` before ``mkdocs build``):
one per installed provider and extension, the configuration reference and the hook reference."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docs_config
import docs_hooks
import docs_providers

if __name__ == "__main__":
    docs_providers.main()
    docs_config.main()
    docs_hooks.main()
