"""The data sources."""
