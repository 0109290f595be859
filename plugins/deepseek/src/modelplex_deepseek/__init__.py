"""The DeepSeek provider for Modelplex. The plugin module is :mod:`modelplex_deepseek.plugin`."""

__version__ = "0.1.0"
