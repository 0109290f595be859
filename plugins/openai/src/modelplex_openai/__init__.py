"""The OpenAI provider for Modelplex. The plugin module is :mod:`modelplex_openai.plugin`."""

__version__ = "0.1.0"
