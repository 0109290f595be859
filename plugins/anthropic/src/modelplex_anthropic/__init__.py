"""The Anthropic provider for Modelplex. The plugin module is :mod:`modelplex_anthropic.plugin`."""

__version__ = "0.1.0"
