"""Data sources: where the rows come from, and the passes a solver asks of them.

``batches`` reads CSV and Parquet files (and arrays) in record batches; ``passes``
turns a batch source into the passes the solvers need (moments, R factors, refinement
sums, shuffled batches); ``distributed`` does the same on a Dask cluster, one summary per
partition. Sources never import the estimator.
"""
