"""The Azure OpenAI provider for Modelplex. The plugin module is :mod:`modelplex_azure.plugin`."""

__version__ = "0.1.0"
