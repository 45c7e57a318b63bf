"""The names sktag knows, as plain data: shipped weights, each family's default, dataset kinds.

Torch- and scikit-learn-free, so the command line builds its parser and help
without importing them; :mod:`sktag.weights` and :mod:`sktag.datasets` use these
tables.
"""

from __future__ import annotations

__all__ = ["DATASET_KINDS", "DEFAULT_WEIGHTS", "SHIPPED_WEIGHTS"]

#: Name -> (file inside ``sktag/weights/``, sha256) of the weights shipped with sktag.
#: ``samplecnn-3x9``: the basic 3^9 SampleCNN at 16 kHz, distilled from musicnn's MTT tags on
#: game_music train+valid (benchmarks/results/distill_basic-lmse-c4*.md; test macro ROC-AUC 0.8945).
#: ``samplecnn-3x8``: the basic 3^8 SampleCNN (8 blocks, 3^9 = 19683-sample input, 1.2 s at 16 kHz), distilled
#: the same way on the train split in 44 minutes (distill_samplecnn-3x8.md; test 0.8598): a scale of the
#: multi-scale features.
#: ``samplecnn-3x10``: the basic 3^10 SampleCNN (10 blocks, 177147-sample input, 11.1 s at 16 kHz), distilled
#: the same way in 55 minutes (distill_samplecnn-3x10.md; test 0.7945 after 6 epochs of 2 crops per clip).
#: ``rese2-multilevel``: the ReSE-2 3^9 SampleCNN (alpha 16) with the multi-level head, distilled the
#: same way in one 91-minute stage (distill_rese2-ml-tv.md; 0.8560: a fifth of the basic network's
#: training crops, see the user guide).
#: ``melcnn-18f`` / ``melcnn-27f`` / ``melcnn-54f``: the local log-mel CNNs of arXiv:1703.01793 (18, 27 and
#: 54 frames at 16 kHz, hop 372), distilled the same way on the train split, best validation epoch of 30
#: (distill_mel18/27/54.md; test 0.8821 / 0.8958 / 0.8983): the scales of the multi-scale features.
#: ``artist-basic-gamemusic`` / ``artist-siamese-gamemusic``: the artist-label CNN (3 s log-mel at
#: 16 kHz) trained on the 19 composers of game_music's train split, with a softmax head / as a
#: Siamese network (benchmarks/results/artist_gm16k-all.md: Siamese verification EER 0.239 against
#: 0.346 for random init; composer recognition no better than random init on this small corpus).
SHIPPED_WEIGHTS: dict[str, tuple[str, str]] = {
    "samplecnn-3x9": ("samplecnn-3x9.pt", "c8b0f7bfa663c9f7f1c1a62f90087582a639c1b90d8bff0d8123408e89c23b35"),
    "samplecnn-3x8": ("samplecnn-3x8.pt", "e9d912fd59106680279a34a4d2856788dd794606a62123f3aa12e9da104b2f62"),
    "samplecnn-3x10": ("samplecnn-3x10.pt", "d3832f0430195f711ea18267185e2386cfcd2afa1a68a168245680507925cdf9"),
    "rese2-multilevel": (
        "rese2-multilevel.pt", "81acd91d7e81968449afdd94c77129da735f9bbf6b59a9be142d57e7831692b5"),
    "melcnn-18f": ("melcnn-18f.pt", "f1dc9920cdfceae7b010514fd6c4281d66e3aa391aff287a61b75f7580e1f60c"),
    "melcnn-27f": ("melcnn-27f.pt", "7fc7869d6775290f2c865f3bf5ae791a52dff207b703c303e3a86a6efa8f8521"),
    "melcnn-54f": ("melcnn-54f.pt", "b138a2316eea5e14dc670d74627777de5cc1e8970b63a4815a527c28dfba2b8f"),
    "artist-basic-gamemusic": (
        "artist-basic-gamemusic.pt", "33b2ace466afb25fa5b127c9f20e4b4f9b7f57c7ad6374a262ea4f0c6e5e66cd"),
    "artist-siamese-gamemusic": (
        "artist-siamese-gamemusic.pt", "a88109eae3b42a79e2cb05fb2d402c3d50475a0faee599f6ee57a807e900ff1d"),
}

#: Architecture -> the shipped weights that ``weights="default"`` loads for it: each family's best on the
#: transfer benchmark (benchmarks/results/transfer.md). SampleCNN: the 3^9 basic network (distilled
#: longest, 0.8945 against the teacher); MelCNN: the 54-frame network (0.8983, the best log-mel scale);
#: ArtistCNN: the softmax-head artist CNN, whose multi-level features beat the Siamese one on composer
#: recognition (0.467 against 0.451) and teacher tags (0.818 against 0.808).
DEFAULT_WEIGHTS: dict[str, str] = {
    "SampleCNN": "samplecnn-3x9",
    "MelCNN": "melcnn-54f",
    "ArtistCNN": "artist-basic-gamemusic",
}

#: What :func:`sktag.datasets.load_dataset` (and ``sktag train``) can load.
DATASET_KINDS = ("mtat", "msd", "gtzan", "csv", "folder")
