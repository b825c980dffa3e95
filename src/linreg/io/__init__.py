"""Files: data tables (``tables``: one door to CSV in any ``dialect``, ``parquet`` and
``excel`` files; atomic writes) and model files (``persistence``: JSON, validated on
load, never pickle).
"""
