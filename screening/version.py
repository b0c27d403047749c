"""The program's version, in a module of its own so that every part can name it without
importing the package's whole public face."""

__version__ = "0.4.0"
