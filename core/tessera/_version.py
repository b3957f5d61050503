"""Versions of the distribution and of the plugin API it offers."""

__version__ = "0.1.0"

#: The plugin API version. Plugins declare the range they support in their manifest
#: (``tessera-api = ">=1.0,<2"``); a plugin whose range excludes this version is skipped.
API_VERSION = "1.0"
