"""Figures and pages drawn from a user's own run: ``plots`` names every figure
(``fit_plots``, ``training_plots``, ``landscape``, ``animation``, in the shared ``style``),
``diagnostic_plots`` R's four residual plots, ``report`` and ``report_figures`` the HTML
report, ``lab`` the visual lab, and ``summaries`` the numbers shown beside the figures.
"""
