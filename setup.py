"""Build of the one compiled part: the exact solver's refinement pass in C.

Everything else is in pyproject.toml. The extension is optional: without a C compiler
the install goes on and ``linreg.solvers.kernels`` falls back to the NumPy kernel, which
gives the same solutions. No fast-math and no fused multiply-adds: the kernel's
error-free transformations need every operation rounded as written.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "linreg.solvers._kernels",
            sources=[
                "src/linreg/solvers/_kernels.c",
                "src/linreg/solvers/_kernels_general.c",
                "src/linreg/solvers/_kernels_gram.c",
            ],
            optional=True,
            extra_compile_args=["-O3", "-ffp-contract=off"],
        )
    ]
)
