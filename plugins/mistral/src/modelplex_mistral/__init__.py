"""The Mistral provider for Modelplex. The plugin module is :mod:`modelplex_mistral.plugin`."""

__version__ = "0.1.0"
