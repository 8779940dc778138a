"""Typed errors raised by the library; the CLI maps each to one exit code."""

from __future__ import annotations

import json
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    ok = 0
    error = 1
    usage = 2  # click's own usage errors
    bad_input = 3  # a folder with no documents, malformed labels, config or taxonomy
    model = 4  # the model is missing, incompatible or untrusted
    all_failed = 5  # every document in the batch failed
    regression = 6  # a retrained model is worse than the current one


class PipelineError(Exception):
    exit_code = ExitCode.error


class ConfigError(PipelineError):
    """A settings, taxonomy or framework file is malformed; the message names file, entry and fix."""

    exit_code = ExitCode.bad_input

    def __init__(self, path: Path | str, entry: str, problem: str, fix: str = "") -> None:
        self.path, self.entry, self.problem, self.fix = str(path), entry, problem, fix
        message = f"{path}: {entry}: {problem}"
        super().__init__(f"{message}. {fix}" if fix else message)


class LabelError(PipelineError):
    """A labelled-sentence file is malformed; the message names file and line."""

    exit_code = ExitCode.bad_input


class InputError(PipelineError):
    exit_code = ExitCode.bad_input


class AllFailedError(PipelineError):
    exit_code = ExitCode.all_failed


class ModelError(PipelineError):
    exit_code = ExitCode.model


class RegressionError(PipelineError):
    """A retrained model scores worse than the current one on the test set; the current one is kept."""

    exit_code = ExitCode.regression


class DocumentError(PipelineError):
    """One document cannot be read; the batch records it and carries on."""

    status = "failed"

    def __init__(self, path: Path | str, problem: str, fix: str = "") -> None:
        self.path = str(path)
        super().__init__(f"{problem}. {fix}".strip() if fix else problem)


class EmptyDocumentError(DocumentError):
    pass


class NoTextLayerError(DocumentError):
    pass


class EncryptedDocumentError(DocumentError):
    pass


class CorruptDocumentError(DocumentError):
    pass


class UnsupportedFileError(DocumentError):
    pass


def read_json(path: Path, error: type[PipelineError], missing: str, fix: str) -> dict:
    """A JSON file the user's command depends on (meta.json, run.json), or `error` saying what to do."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(f"{path}: {missing}") from exc
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not valid JSON ({exc.msg}); {fix}") from exc
