"""The retraining loop end to end through the real CLI: export, label, import, retrain, guard, curve."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

FAST = "cv_folds = 3\nbootstrap_samples = 50\nuse_classifier = true\n"


def cli(*args: str, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "--config", str(config), *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dict[str, Path]:
    """Small labels (one training register + the test set), a model trained on them, an analysed folder."""
    root = tmp_path_factory.mktemp("retrain")
    labels = root / "labels"
    (labels / "train").mkdir(parents=True)
    shutil.copy(ROOT / "corpus/labels/train/actions.csv", labels / "train/actions.csv")
    shutil.copytree(ROOT / "corpus/labels/test", labels / "test")
    docs = root / "docs"
    docs.mkdir()
    for name in ("harrowfield-inclusion-2023.pdf", "pennock-leadership-2022.pdf"):
        shutil.copy(ROOT / "corpus/samples" / name, docs / name)
    config = root / "settings.toml"
    config.write_text(FAST + f'cache_dir = "{root / "cache"}"\nmodel_dir = "{root / "model"}"\n')
    result = cli("train", "--labels", str(labels), "--model", str(root / "model"), config=config)
    assert result.returncode == 0, result.stderr
    result = cli("analyse", str(docs), "--out", str(root / "out"), "-q", config=config)
    assert result.returncode == 0, result.stderr
    return {"root": root, "labels": labels, "docs": docs, "config": config, "model": root / "model", "out": root / "out"}


def test_export_label_import_and_retrain(workspace):
    w = workspace
    exported = w["root"] / "to-label.csv"
    result = cli("label", "export", str(w["out"]), "--docs", str(w["docs"]), "--strategy", "uncertain", "-n", "40",
                 "--labels", str(w["labels"]), "--model", str(w["model"]), "--out", str(exported), config=w["config"])
    assert result.returncode == 0, result.stderr
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40 and all(row["themes"] == "" and row["text"] for row in rows)
    assert {"doc_id", "page", "previous", "next", "predicted", "lexicon"} <= set(rows[0])
    # The fixture annotator: agrees with the lexicon where it found something, else says "none".
    for row in rows:
        row["themes"] = row["lexicon"] or "none"
    with exported.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    target = w["labels"] / "train/imported.csv"
    result = cli("label", "import", str(exported), "--into", str(target), "--labels", str(w["labels"]), "--annotator", "test",
                 config=w["config"])
    assert result.returncode == 0, result.stderr
    assert "added 40" in result.stderr
    again = cli("label", "import", str(exported), "--into", str(target), "--labels", str(w["labels"]), config=w["config"])
    assert "added 0" in again.stderr  # re-importing adds nothing
    old_id = json.loads((w["model"] / "meta.json").read_text())["model_id"]
    result = cli("train", "--labels", str(w["labels"]), "--model", str(w["model"]), "--force", config=w["config"])
    assert result.returncode == 0, result.stderr
    meta = json.loads((w["model"] / "meta.json").read_text())
    assert meta["training_data"]["sentences"] > 700 and meta["model_id"] != old_id
    assert (w["model"] / "history" / old_id / "meta.json").is_file()  # the previous model is kept
    exported_again = w["root"] / "again.csv"
    cli("label", "export", str(w["out"]), "--docs", str(w["docs"]), "-n", "500", "--labels", str(w["labels"]),
        "--model", str(w["model"]), "--out", str(exported_again), config=w["config"])
    with exported_again.open(encoding="utf-8-sig") as handle:
        texts = {row["text"] for row in csv.DictReader(handle)}
    assert not texts & {row["text"] for row in rows}  # never re-exports a labelled sentence


def test_guard_refuses_a_worse_label_set(workspace):
    w = workspace
    worse = w["root"] / "worse"
    (worse / "train").mkdir(parents=True)
    shutil.copytree(w["labels"] / "test", worse / "test")
    with (w["labels"] / "train/actions.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    themes = [row["themes"] for row in rows]
    for i, row in enumerate(rows):  # every label moved to another sentence: a deliberately wrong set
        row["themes"] = themes[(i + 97) % len(themes)]
    with (worse / "train/labels.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = (w["model"] / "meta.json").read_bytes()
    result = cli("train", "--labels", str(worse), "--model", str(w["model"]), config=w["config"])
    assert result.returncode == 6, result.stderr
    assert "is kept" in result.stderr and "micro" in result.stderr and "digital_inclusion" in result.stderr
    assert (w["model"] / "meta.json").read_bytes() == before


def test_learning_curve_prints_four_points(workspace):
    w = workspace
    result = cli("train", "--labels", str(w["labels"]), "--curve", config=w["config"])
    assert result.returncode == 0, result.stderr
    points = [line for line in result.stdout.splitlines() if line.strip().endswith(tuple("0123456789")) and "%" in line]
    assert [p.split()[0] for p in points] == ["25%", "50%", "75%", "100%"]
