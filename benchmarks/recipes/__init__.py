"""The training runs behind the shipped weights: each trains, scores and writes its results file.

``python -m benchmarks.recipes.distill_game_music`` (the SampleCNN and mel CNN weights, distilled
from musicnn's tags on game_music) and ``python -m benchmarks.recipes.artist_game_music`` (the two
artist CNNs). The multi-teacher recipe of issue 26 is ``python -m benchmarks.corpus.distill``.
"""
