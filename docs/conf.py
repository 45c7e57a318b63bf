"""Sphinx configuration for the sktag documentation.

Build with ``python -m sphinx -W -b html . _build/html`` from this folder.
"""

import os
import re
import sys

# Document (and run the examples against) the sktag in this checkout.
sys.path.insert(0, os.path.abspath(".."))

import sktag  # noqa: E402

project = "sktag"
author = "the sktag developers"
copyright = "the sktag developers"
release = sktag.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
nitpicky = False

# -- autodoc / autosummary / numpydoc -----------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # types are in the numpydoc sections
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- sphinx-gallery --------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    # Only the quickstart runs at build time (under 2 minutes on a 2-core CPU);
    # the other scripts are rendered without output.
    "filename_pattern": re.escape(os.sep) + r"plot_quickstart\.py$",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
}

# -- HTML ------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"sktag {release}"
