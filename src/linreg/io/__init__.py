"""Files: data tables (``tables``: CSV and Parquet reading, atomic writes; ``frames``: a
whole file of numbers and text, for formulas) and model files (``persistence``: JSON,
validated on load, never pickle; ``formula_state``: a fitted formula's state in them).
"""
