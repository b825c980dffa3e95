"""Files: data tables (``tables``: CSV and Parquet reading, atomic writes) and model
files (``persistence``: JSON, validated on load, never pickle).
"""
