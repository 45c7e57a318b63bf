"""Pure torch modules: the sample-level CNN family. No I/O, no scikit-learn."""

from .blocks import BLOCKS, BasicBlock, ResBlock, SEBlock, SqueezeExcitation, make_block
from .inference import fold_batchnorm
from .samplecnn import SampleCNN, default_widths

__all__ = [
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
