"""Transfer learning (issue 8): the packaged benchmark ``sktag bench`` with this repository's paths.

Same options as ``sktag bench``; ``--data`` defaults to ``$SKTAG_SHARED_DATA`` or
``../shared/data`` beside the repository, ``--out`` to ``benchmarks/results/``::

    python -m benchmarks.quality.transfer                       # the full table
    python -m benchmarks.quality.transfer --tasks digit,speaker --extractors mfcc,samplecnn-3x9
"""

from __future__ import annotations

from benchmarks import common
from sktag.bench import options


def main(argv: list[str] | None = None) -> None:
    parser = common.parser(__spec__.name, __doc__)
    options.add_arguments(parser)
    parser.set_defaults(data=str(common.SHARED), out=str(common.RESULTS))
    args = parser.parse_args(argv)
    from sktag.bench import transfer  # torch and the networks: after --help

    transfer.run(args, common.command(__spec__.name, argv))


if __name__ == "__main__":
    main()
