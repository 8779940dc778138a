"""councilscan: how well do council digital strategies cover techUK's *Council of the future*?"""

__version__ = "0.1.0"
