"""The compiled part of the kit: the drift engine's bin counter (metadata lives in pyproject.toml).

The extension is optional: where no C compiler is found the install goes on without it, and the
engine counts with numpy instead, to the same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "mlops_kit.drift._bin_counts",
            sources=["mlops_kit/drift/_bin_counts.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
