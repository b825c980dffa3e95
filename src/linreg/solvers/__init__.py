"""The solvers: each written once, against data in memory or passes over a source.

- exact least squares: ``lstsq`` (the entry), ``factor`` (the QR or Gram-Cholesky
  preconditioner and the rank), ``refine`` (Björck's refinement and its precision rules),
  ``design`` and ``extended`` (extended-precision residuals), ``norm_sliced`` and
  ``kernels`` (the fast refinement pass, in C where built), ``weighted`` (row weights and
  the ridge penalty), ``result``; over many batches ``streamed_qr`` and ``streamed_exact``;
- gradient descent from the data's moments: ``moments``, ``objectives`` and ``fast`` (the
  driver that gives the readable loop's iterates);
- mini-batch SGD: ``sgd`` in memory, ``streamed_sgd`` over batches.

No solver imports the estimator; the problem they minimise is :mod:`linreg.problem`.
"""
