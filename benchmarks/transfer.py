"""Transfer learning (issue 8): the packaged benchmark ``sktag.bench.transfer`` with this repository's paths.

Same options as ``sktag bench``; ``--data`` defaults to ``../shared/data`` beside the
repository and ``--out`` to ``benchmarks/results/``::

    python benchmarks/transfer.py                       # the full table
    python benchmarks/transfer.py --tasks digit,speaker --extractors mfcc,samplecnn-3x9
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sktag.bench import transfer

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    transfer.add_arguments(parser)
    parser.set_defaults(data=os.environ.get("SKTAG_SHARED_DATA", str(ROOT.parent / "shared" / "data")),
                        out=str(ROOT / "benchmarks" / "results"))
    transfer.run(parser.parse_args(), " ".join(["python benchmarks/transfer.py", *sys.argv[1:]]))
