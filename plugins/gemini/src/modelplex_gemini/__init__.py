"""The Google Gemini provider for Modelplex. The plugin module is :mod:`modelplex_gemini.plugin`."""

__version__ = "0.1.0"
