"""A generic provider for any OpenAI-compatible server; the plugin module is
:mod:`modelplex_openai_like.plugin`."""

__version__ = "0.1.0"
