"""The Cohere provider for Modelplex (API v2). The plugin is :mod:`modelplex_cohere.plugin`."""

__version__ = "0.1.0"
