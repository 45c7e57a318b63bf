"""Pure torch modules: the sample-level CNN family, the log-mel CNNs (multi-scale local CNNs, artist CNN),
the mel front end.

No I/O, no scikit-learn.
"""

from .artist import ArtistCNN
from .blocks import BLOCKS, BasicBlock, ResBlock, SEBlock, SqueezeExcitation, make_block
from .inference import fold_batchnorm
from .mel import LogMelSpectrogram, mel_filterbank
from .melcnn import SPL_POOL_SIZES, MelCNN
from .samplecnn import SampleCNN, default_widths

__all__ = [
    "ArtistCNN",
    "MelCNN",
    "SPL_POOL_SIZES",
    "LogMelSpectrogram",
    "mel_filterbank",
    "BLOCKS",
    "BasicBlock",
    "ResBlock",
    "SEBlock",
    "SqueezeExcitation",
    "SampleCNN",
    "default_widths",
    "fold_batchnorm",
    "make_block",
]
