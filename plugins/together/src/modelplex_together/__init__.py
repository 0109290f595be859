"""The Together AI provider for Modelplex. The plugin module is :mod:`modelplex_together.plugin`."""

__version__ = "0.1.0"
