"""The package version, kept in one place so `lmi --version` never imports the rest."""

__version__ = "0.1.0"
