# councilscan workflow. `make` (or `make help`) lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DOCS   ?= corpus/samples
OUT    ?= outputs/latest
MODEL  ?= models/theme-classifier
LABELS := $(wildcard corpus/labels/*/*.csv corpus/labels/*/*.jsonl)
TRAIN_CODE := pipeline/train.py pipeline/classify.py pipeline/config.py pipeline/labels.py pipeline/lexicon.py pipeline/ensemble.py pipeline/segment.py

.DEFAULT_GOAL := help
.PHONY: help install analyse test train evaluate samples bench bench-extract clean

help: ## Show this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install councilscan with its dependencies

analyse: $(STAMP) ## Analyse DOCS (default: the sample corpus) and write reports to OUT
	$(BIN)/councilscan analyse $(DOCS) --out $(OUT)
	@echo "Reports in $(OUT)/: report.html (open it in a browser), gap_report.csv, summary.csv, coverage_matrix.csv, evidence.csv, documents.csv, heatmap.png, run.json"

test: $(STAMP) ## Run the test suite
	$(BIN)/python -m pytest -q

$(MODEL)/meta.json: $(LABELS) pipeline/data/themes.toml $(TRAIN_CODE) | $(STAMP)
	$(BIN)/councilscan train --labels corpus/labels --model $(MODEL)

train: $(MODEL)/meta.json ## Retrain the theme classifier (only when labels, taxonomy or training code changed)

evaluate: $(STAMP) ## Score lexicon, classifier and ensemble on the held-out test set
	$(BIN)/councilscan evaluate --labels corpus/labels/test --model $(MODEL) --out outputs/evaluation.csv

samples: $(STAMP) ## Rebuild the sample PDFs and truth file from corpus/sample-sources
	$(BIN)/councilscan samples

bench: $(STAMP) ## Print analyse speed vs raw pdfplumber, warm rerun, classification speed, peak memory
	$(BIN)/python tests/benchmarks/bench.py

bench-extract: $(STAMP) ## Print extraction quality (vs ground truth), speed and peak memory
	$(BIN)/python tests/benchmarks/bench_extract.py

clean: ## Delete outputs (reports and caches)
	rm -rf outputs/* && touch outputs/.gitkeep
