"""How good are the features and the taggers? Transfer to other tasks, bag-of-features, unseen games.

``python -m benchmarks.quality.transfer`` (``sktag bench`` with this repository's paths),
``python -m benchmarks.quality.bag_of_features``, ``python -m benchmarks.quality.generalisation``.
"""
