"""Devices and precisions: what ``precision`` resolves to on CPUs with and without native bf16, and how many threads
decode ahead of the network."""

import warnings

import pytest
import torch

from sktag import _devices

CPU = torch.device("cpu")


def test_bf16_on_a_cpu_that_emulates_it_warns(monkeypatch):
    monkeypatch.setattr(_devices, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="emulates it"):
        assert _devices.resolve_precision("bf16", CPU) is torch.bfloat16
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _devices.resolve_precision("auto", CPU) is None  # quietly fp32
        assert _devices.resolve_precision("fp32", CPU) is None


def test_bf16_on_a_cpu_with_native_bf16_is_quiet(monkeypatch):
    monkeypatch.setattr(_devices, "cpu_has_native_bf16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _devices.resolve_precision("bf16", CPU) is torch.bfloat16
        expected = torch.bfloat16 if torch.backends.mkldnn.is_available() else None
        assert _devices.resolve_precision("auto", CPU) is expected


def test_one_decoding_thread_on_cpu_all_cores_but_one_on_gpu():
    assert _devices.decode_workers(torch.device("cpu")) == 1
    assert 1 <= _devices.decode_workers(torch.device("cuda")) <= 8
