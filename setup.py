from setuptools import find_packages, setup

DOCS_REQUIRES = ["sphinx>=7", "numpydoc>=1.6", "sphinx-gallery>=0.15", "matplotlib>=3.7"]
# sktag bench: the MFCC baseline and the plot; benchmarks/corpus: tags of the game-music sources
BENCH_REQUIRES = ["librosa>=0.10", "matplotlib>=3.7", "mutagen>=1.45"]
# ruff.toml's checks; pinned because another ruff version may format differently
LINT_REQUIRES = ["ruff==0.17.6"]

setup(
    name="sktag",
    version="0.1.0.dev0",
    description="Sample-level CNNs for music auto-tagging as scikit-learn estimators",
    long_description=open("README.rst", encoding="utf-8").read(),
    long_description_content_type="text/x-rst",
    license="BSD-3-Clause",
    packages=find_packages(include=["sktag", "sktag.*"]),
    package_data={"sktag": ["weights/*.pt", "weights/*.npz", "weights/*.json"]},
    python_requires=">=3.10",
    entry_points={"console_scripts": ["sktag = sktag.cli:main"]},
    install_requires=[
        "numpy>=1.24",
        "scikit-learn>=1.6",
        "torch>=2.2",
        "skorch>=1.0",
        "joblib>=1.3",
        "soundfile>=0.12.1",  # bundles libsndfile >= 1.1: mp3 decoding
        "soxr>=0.3.5",  # streaming resampler (ResampleStream)
        "pandas>=1.5",  # sktag.datasets: the published CSV/TSV annotation files, Bunch.metadata
    ],
    extras_require={
        "test": [
            "pytest>=7.3",
            "hypothesis>=6",
            "distributed>=2024.1",
            "av>=12",
            *DOCS_REQUIRES,
            *BENCH_REQUIRES,
            *LINT_REQUIRES,
        ],  # pytest 7.3: tmp_path_retention_policy; test_docs builds the docs
        "dask": ["distributed>=2024.1"],  # sktag.extract.extract(client=...), sktag extract --scheduler
        "ffmpeg": ["av>=12"],  # .m4a/.mp4 (AAC, ALAC), .wma, ...: PyAV's wheels bundle FFmpeg (sktag._ffmpeg)
        "docs": DOCS_REQUIRES,
        "bench": BENCH_REQUIRES,
        "lint": LINT_REQUIRES,
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Multimedia :: Sound/Audio :: Analysis",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
