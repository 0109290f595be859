"""The xAI provider for Modelplex. The plugin module is :mod:`modelplex_xai.plugin`."""

__version__ = "0.1.0"
