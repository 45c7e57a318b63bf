"""AudioStore: clips decoded once into a memory-mapped store, reused across runs."""

import os

import numpy as np
import soundfile

from sktag.training import AudioStore


def test_audio_store_round_trip_and_reuse(tmp_path, cache):
    rng = np.random.default_rng(0)
    y = np.clip(0.2 * rng.standard_normal(5000), -0.99, 0.99).astype(np.float32)
    path = tmp_path / "clip.wav"
    soundfile.write(path, y, 8000, subtype="PCM_16")
    store = AudioStore.build([str(path), y[:100]], sample_rate=8000, cache_dir=cache)
    assert list(store.lengths) == [5000, 100]
    np.testing.assert_allclose(store.crop(0, 0, 5000), y, atol=2 / 32768)
    np.testing.assert_allclose(store.crop(1, 50, 80)[:50], y[50:100], atol=2 / 32768)
    assert not store.crop(1, 50, 80)[50:].any()  # zero-padded past the end
    data_files = sorted(os.listdir(cache))
    mtime = os.path.getmtime(os.path.join(cache, data_files[0]))
    again = AudioStore.build([str(path), y[:100]], sample_rate=8000, cache_dir=cache)
    assert sorted(os.listdir(cache)) == data_files and os.path.getmtime(os.path.join(cache, data_files[0])) == mtime
    np.testing.assert_array_equal(again.crop(0, 0, 5000), store.crop(0, 0, 5000))
    resampled = AudioStore.build([str(path)], sample_rate=16000, cache_dir=cache)
    assert resampled.lengths[0] == 10000
