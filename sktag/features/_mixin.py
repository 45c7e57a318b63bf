"""The scikit-learn mixin of every transformer of audio clips."""

from __future__ import annotations

from sklearn.base import TransformerMixin

__all__ = ["AudioTransformerMixin"]


class AudioTransformerMixin(TransformerMixin):
    """``TransformerMixin`` for transformers of audio clips: float32 rows out, clips without NaN in."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.input_tags.allow_nan = False
        return tags
