"""The store's one compiled part, optional: the journal's frames in C (src/modelplex_store/_frames.c).
Where it cannot be built (no compiler), the package installs without it and journal.py frames calls in
Python, byte for byte the same; everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("modelplex_store._frames", ["src/modelplex_store/_frames.c"], optional=True)])
