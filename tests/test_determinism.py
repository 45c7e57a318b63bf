"""Determinism on CPU: the same clip gives bit-identical features across runs, processes and n_jobs."""

import subprocess
import sys

import numpy as np

from sktag import BagOfFeatures, SampleCNNFeatures

_FEATURES_IN_A_FRESH_PROCESS = """
import sys
import numpy as np
from sktag import SampleCNNFeatures
features = SampleCNNFeatures(weights=None, random_state=0).fit([sys.argv[1]]).transform([sys.argv[1]])
sys.stdout.write(features.tobytes().hex())
"""


def test_bit_identical_across_runs_and_processes(fixtures_dir):
    clip = str(fixtures_dir / "game_music" / "wesnoth_t002_c00.mp3")
    first = SampleCNNFeatures(weights=None, random_state=0).fit([clip]).transform([clip])
    second = SampleCNNFeatures(weights=None, random_state=0).fit([clip]).transform([clip])
    np.testing.assert_array_equal(first, second)
    output = subprocess.run(
        [sys.executable, "-c", _FEATURES_IN_A_FRESH_PROCESS, clip], capture_output=True, text=True, check=True
    ).stdout
    other = np.frombuffer(bytes.fromhex(output), dtype=np.float32).reshape(first.shape)
    np.testing.assert_array_equal(first, other)


def test_bag_of_features_is_bit_identical_across_n_jobs(fixtures_dir):
    clips = [str(p) for p in sorted((fixtures_dir / "game_music").glob("*.mp3"))[:3]]
    serial = BagOfFeatures(16, n_mels=32, dictionary="kmeans", max_patches=2000, random_state=0, n_jobs=1)
    parallel = BagOfFeatures(16, n_mels=32, dictionary="kmeans", max_patches=2000, random_state=0, n_jobs=2)
    np.testing.assert_array_equal(serial.fit(clips).transform(clips), parallel.fit(clips).transform(clips))
