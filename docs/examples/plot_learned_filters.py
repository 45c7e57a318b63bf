"""
What the sample-level filters learnt: frequency responses, sorted by centre frequency
=====================================================================================

The SampleCNN papers (arXiv:1703.01789, arXiv:1710.10451) show what each
sample-level layer has learnt as the spectra of its filters, sorted by the
frequency of their peak: the first layers respond to narrow frequency bands
spread over the spectrum, like a learnt filter bank, and on a log-like scale
(many filters at low frequencies, fewer at high ones).

This example draws the same picture for the shipped ``samplecnn-3x9`` network.
The first layer (``stem``, 3-sample filters with stride 3) is linear, so its
frequency response is the Fourier transform of its weights. Deeper layers are
not linear; as in the papers, each filter is shown by the spectrum of the input
that excites it most, found by gradient ascent from low-level noise.
"""

# %%
# The network
# -----------
# :func:`sktag.weights.get_checkpoint` loads the shipped weights (the sha256 is
# checked) and ``build`` gives the :class:`sktag.nn.SampleCNN` module.
import matplotlib.pyplot as plt
import numpy as np
import torch

from sktag.weights import get_checkpoint

checkpoint = get_checkpoint("samplecnn-3x9")
network = checkpoint.build().eval()
sample_rate = checkpoint.meta["sample_rate"]
print(f"{checkpoint.architecture} {checkpoint.config}, {sample_rate:.0f} Hz")

# %%
# The first layer: the Fourier transform of its weights
# -----------------------------------------------------
# 128 filters of 3 taps each, zero-padded to 512 points.
n_fft = 512
stem = network.stem[0].weight.detach().squeeze(1).numpy()  # (128, 3)
stem_response = np.abs(np.fft.rfft(stem, n=n_fft, axis=1))  # (128, 257)


# %%
# Deeper layers: the input each filter likes best
# -----------------------------------------------
# For ``stem`` + ``block1`` .. ``block3`` (receptive fields of 9 to 81
# samples), a batch of noise inputs, one per filter, is pushed by Adam towards
# the largest mean activation of its filter, each input kept at unit norm;
# the spectrum of the result stands for the filter.
def excited_spectra(depth: int, steps: int = 150, length: int = 729) -> np.ndarray:
    """Magnitude spectra ``(n_filters, n_fft // 2 + 1)`` of the inputs that most excite each filter."""
    layers = torch.nn.Sequential(network.stem, *network.blocks[:depth])
    n_filters = layers(torch.zeros(1, 1, length)).shape[1]
    torch.manual_seed(0)
    x = (1e-3 * torch.randn(n_filters, 1, length)).requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=0.05)
    channel = torch.arange(n_filters)
    for _ in range(steps):
        unit = x / x.norm(dim=-1, keepdim=True)
        loss = -layers(unit)[channel, channel].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    unit = (x / x.norm(dim=-1, keepdim=True)).detach().squeeze(1).numpy()
    return np.abs(np.fft.rfft(unit * np.hanning(length), n=n_fft, axis=1))


spectra = {"stem (weights)": stem_response}
for depth in (1, 2, 3):
    spectra[f"block{depth} (gradient ascent)"] = excited_spectra(depth)

# %%
# Sorted by the frequency of each filter's peak
# ---------------------------------------------
# Each row is one filter, normalised to its maximum; rows are sorted by their
# peak frequency, as in the papers' figures.
frequencies = np.fft.rfftfreq(n_fft, d=1 / sample_rate)
fig, axes = plt.subplots(1, len(spectra), figsize=(4 * len(spectra), 4), sharey=True)
for ax, (name, spectrum) in zip(axes, spectra.items()):
    order = np.argsort(spectrum.argmax(axis=1))
    image = (spectrum / spectrum.max(axis=1, keepdims=True))[order]
    ax.imshow(image.T, origin="lower", aspect="auto", cmap="magma", extent=(0, len(image), 0, frequencies[-1] / 1000))
    ax.set_title(name)
    ax.set_xlabel("filter (sorted by peak frequency)")
axes[0].set_ylabel("frequency (kHz)")
fig.tight_layout()
plt.show()

# %%
# How the peaks spread over the spectrum
# --------------------------------------
# The share of each layer's filters whose peak lies below 2 kHz (a quarter of
# the 8 kHz band): above 0.25, the layer spends more filters on low
# frequencies than a uniform filter bank would.
for name, spectrum in spectra.items():
    peaks = frequencies[spectrum.argmax(axis=1)]
    print(f"{name:28s} filters with a peak below 2 kHz: {np.mean(peaks < 2000):.2f}")
