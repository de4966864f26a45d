"""The version of ccsim, in one place (pyproject.toml reads it; nothing here imports the package)."""
__version__ = "0.2.0"
