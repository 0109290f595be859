"""The Hugging Face provider for Modelplex. The plugin module is :mod:`modelplex_huggingface.plugin`."""

__version__ = "0.1.0"
