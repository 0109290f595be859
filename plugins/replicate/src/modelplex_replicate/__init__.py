"""The Replicate provider for Modelplex. The plugin module is :mod:`modelplex_replicate.plugin`."""

__version__ = "0.1.0"
