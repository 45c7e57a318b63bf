"""Decoding ahead of the network (sktag/clips/batching.py): order, bounded look-ahead, errors, and features equal for
any thread count."""

import threading
import time

import numpy as np
import pytest
import torch

from sktag import SampleCNNFeatures
from sktag._devices import decode_workers
from sktag.audio import AudioError
from sktag.clips import batching, clip_segments, decode_ahead, map_segments, validate_clips

SMALL = {"m": 3, "n": 5}


def _source(index, n_items, started, delay=0.0):
    def produce():
        started.append(index)
        for k in range(n_items):
            time.sleep(delay * ((index * 7 + k) % 3))  # uneven decoding times: later clips may finish first
            yield (index, k)

    return produce


@pytest.mark.parametrize("workers", [1, 3, 8])
def test_items_come_in_source_order_with_an_end_marker_per_source(workers):
    started = []
    sources = [_source(i, n_items=i % 4, started=started, delay=0.001) for i in range(12)]
    got = list(decode_ahead(sources, workers=workers, maxsize=2))
    expected = []
    for i in range(12):
        expected += [(i, (i, k)) for k in range(i % 4)] + [(i, None)]
    assert got == expected
    assert sorted(started) == list(range(12))


def test_threads_run_at_most_workers_plus_one_sources_ahead():
    started = []
    sources = [_source(i, n_items=50, started=started) for i in range(20)]
    items = decode_ahead(sources, workers=3, maxsize=4)
    assert next(items) == (0, (0, 0))
    time.sleep(0.3)  # let the threads run as far as they may
    assert sorted(started) == [0, 1, 2]  # three threads, each blocked on a full queue of 4
    for _ in range(50):  # the rest of source 0 and its end marker
        next(items)
    time.sleep(0.3)
    assert sorted(started) == [0, 1, 2, 3]
    items.close()


def test_an_error_is_raised_where_its_source_comes_and_threads_stop():
    def failing():
        yield "a"
        raise AudioError("clip-3", "broken")

    started = []
    sources = [_source(i, 2, started) for i in range(3)] + [failing] + [_source(i, 2, started) for i in range(4, 30)]
    got = []
    with pytest.raises(AudioError, match="clip-3"):
        for item in decode_ahead(sources, workers=4, maxsize=2):
            got.append(item)
    assert got[-1] == (3, "a") and len(got) == 3 * 3 + 1
    time.sleep(0.2)
    assert not [t for t in threading.enumerate() if t.name.startswith("sktag-decode")]


def test_stopping_early_releases_the_threads():
    started = []
    items = decode_ahead([_source(i, 100, started) for i in range(10)], workers=4, maxsize=2)
    next(items)
    items.close()
    time.sleep(0.2)
    assert not [t for t in threading.enumerate() if t.name.startswith("sktag-decode")]


def test_features_do_not_depend_on_the_number_of_decoding_threads(fixtures_dir, tmp_path, monkeypatch):
    paths = sorted(str(p) for p in (fixtures_dir / "philharmonia").glob("*.mp3"))
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"not audio")
    X = paths[:3] + [str(broken)] + paths[3:] + [np.linspace(-0.5, 0.5, 9000, dtype=np.float32)]
    one = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, batch_size=5, on_error="warn")
    with pytest.warns(UserWarning, match="broken.mp3"):
        expected = one.fit_transform(X)
    monkeypatch.setattr(batching, "decode_workers", lambda device: 6)
    many = SampleCNNFeatures(weights=None, architecture=SMALL, random_state=0, batch_size=5, on_error="warn")
    with pytest.warns(UserWarning, match="broken.mp3"):
        got = many.fit_transform(X)
    np.testing.assert_array_equal(np.isnan(got[3]), True)
    np.testing.assert_array_equal(got, expected)


def test_map_segments_decodes_with_the_workers_it_is_given(monkeypatch):
    rng = np.random.default_rng(0)
    clips = validate_clips([rng.uniform(-0.5, 0.5, n).astype(np.float32) for n in (3000, 1000, 5000, 2000)])
    used = []

    def recording(sources, *, workers, maxsize):
        used.append(workers)
        return decode_ahead(sources, workers=workers, maxsize=maxsize)

    monkeypatch.setattr(batching, "decode_ahead", recording)
    kwargs = {
        "fn": lambda x: x[:, :3] * 2,
        "sample_rate": 16000.0,
        "input_rate": None,
        "length": 1000,
        "hop": 1000,
        "batch_size": 2,
        "device": torch.device("cpu"),
    }
    default = map_segments(clips, **kwargs)
    three = map_segments(clips, **kwargs, workers=3)
    assert used == [decode_workers(torch.device("cpu")), 3]
    assert [r.shape for r in default] == [(3, 3), (1, 3), (5, 3), (2, 3)]
    for a, b in zip(default, three):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="workers"):
        map_segments(clips, **kwargs, workers=0)


@pytest.mark.filterwarnings("ignore::sktag.audio.ShortClipWarning")  # the 500-sample clip is padded to 1000
def test_segments_carry_how_many_of_their_samples_come_from_the_clip():
    rng = np.random.default_rng(0)
    clips = validate_clips([rng.uniform(-0.5, 0.5, n).astype(np.float32) for n in (2500, 500)])
    long, short = (list(clip_segments(c, sample_rate=16000.0, input_rate=None, length=1000, hop=1000)) for c in clips)
    assert [n for _, n in long] == [1000, 1000]  # the 500-sample tail is dropped, not padded
    ((padded, n_valid),) = short
    assert n_valid == 500 and padded.shape == (1000,) and not padded[500:].any()
    seen = []

    def fn(x, n_valid):
        seen.append(n_valid)
        return x[:, :1]

    rows = map_segments(
        clips,
        fn,
        sample_rate=16000.0,
        input_rate=None,
        length=1000,
        hop=1000,
        batch_size=8,
        device=torch.device("cpu"),
        with_lengths=True,
    )
    assert [r.shape for r in rows] == [(2, 1), (1, 1)]
    assert torch.cat(seen).tolist() == [1000, 1000, 500]


def test_layer_statistics_are_each_layers_max_and_mean_per_segment_over_the_frames_a_clip_reaches():
    from sktag.clips import layer_statistics
    from sktag.nn import SampleCNN

    network = SampleCNN(3, 4, widths=[8, 8, 16, 16], stem_width=8).eval()
    rng = np.random.default_rng(0)
    whole, short = rng.standard_normal(486).astype(np.float32), rng.standard_normal(100).astype(np.float32)
    with pytest.warns(UserWarning):  # the short clip is padded, and said so
        stats = layer_statistics(
            validate_clips([whole, short]),
            network,
            ["block2", "block4"],
            sample_rate=8000,
            input_rate=None,
            batch_size=4,
        )
    assert [s.shape for s in stats] == [(2, 2, 24), (1, 2, 24)]
    with torch.inference_mode():
        b2, b4 = network.forward_intermediates(torch.from_numpy(whole[243:]).unsqueeze(0), ["block2", "block4"])
    np.testing.assert_allclose(stats[0][1, 0], torch.cat([b2.amax(-1), b4.amax(-1)], 1)[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats[0][1, 1], torch.cat([b2.mean(-1), b4.mean(-1)], 1)[0], rtol=1e-5, atol=1e-6)
    with torch.inference_mode():
        (b2,) = network.forward_intermediates(torch.from_numpy(np.pad(short, (0, 143))).unsqueeze(0), ["block2"])
    reached = -(-100 * b2.shape[-1] // 243)  # block2's frames that start within the clip's 100 samples
    np.testing.assert_allclose(stats[1][0, 0, :8], b2[0, :, :reached].amax(-1), rtol=1e-5, atol=1e-6)
