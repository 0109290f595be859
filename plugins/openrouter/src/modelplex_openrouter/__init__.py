"""The OpenRouter provider for Modelplex. The plugin module is :mod:`modelplex_openrouter.plugin`."""

__version__ = "0.1.0"
