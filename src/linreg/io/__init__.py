"""Files: data tables (``tables``: one door to CSV in any ``dialect``, ``parquet`` and
``excel`` files; atomic writes) and model files (``persistence``: JSON, validated on
load, never pickle; ``formula_state``: a fitted formula's state in them); ``frames``: a
whole file of numbers and text, for formulas.
"""
