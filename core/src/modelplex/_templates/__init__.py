"""The files ``modelplex plugin new`` writes, as package data: ``common/`` for both variants, then
``compat/`` (an OpenAI-compatible provider) or ``native/`` (its own wire format). A ``.tmpl`` file is
a :class:`string.Template`; ``__module__`` in a path becomes the package's import name."""
