"""Statistics of fitted models: inference (OLS and WLS, as statsmodels reports them),
polynomial regression to full accuracy, the NIST StRD accuracy table, and the
learning-rate sweep.
"""
