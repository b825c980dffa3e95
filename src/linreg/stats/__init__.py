"""Statistics of fitted models: inference (OLS and WLS, as statsmodels reports them),
polynomial regression to full accuracy, the NIST StRD accuracy table, the
learning-rate sweep, and regression diagnostics (``diagnostics``: influence and VIFs;
``residual_tests``: normality, autocorrelation and heteroskedasticity tests).
"""
