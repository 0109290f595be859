"""The Groq provider for Modelplex. The plugin module is :mod:`modelplex_groq.plugin`."""

__version__ = "0.1.0"
