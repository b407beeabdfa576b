"""statuspage: a static status page generator driven by incident records in YAML."""

__version__ = "0.1.0"
