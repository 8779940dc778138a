"""Run one function over many documents in isolated worker processes (pebble) or on a Dask cluster.

A document that hangs past the time limit, exhausts its memory cap or crashes its worker becomes a
failure for that document alone; the worker is replaced and the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import as_completed
from typing import TypeVar

# Failures that say nothing about the file for certain (a busy machine, a lost worker): not cached.
TRANSIENT_FAILURES = ("took longer than", "the worker crashed", "needed more than", "ran out of memory",
                      "failed on the Dask cluster", "unexpected error")

Job = TypeVar("Job")
Result = TypeVar("Result")


MEMORY_EXIT_CODE = 86  # a worker that exceeded max_memory_mb ends itself with this code


def _resident_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cap_memory(megabytes: int) -> None:
    """Worker initializer: end this worker when its resident memory grows by more than `megabytes`.

    A watchdog thread rather than RLIMIT_AS: a forked worker inherits the parent's heap, so an
    address-space limit would not bind, and one low enough to bind breaks lazy imports."""
    if megabytes <= 0:
        return
    limit = _resident_bytes() + megabytes * 1024 * 1024

    def watch() -> None:
        while True:
            if _resident_bytes() > limit:
                os._exit(MEMORY_EXIT_CODE)
            time.sleep(0.05)

    threading.Thread(target=watch, daemon=True, name="memory-cap").start()


def _start_worker(megabytes: int) -> None:
    """Worker initializer: one compute thread per worker, then the memory cap.

    Workers are one per core already; and a thread pool the parent had started (PyTorch's OpenMP
    team, when the sentence-embedding model ran before the fork) hangs a forked child on first use."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    _cap_memory(megabytes)


def run_local(
    work: Callable[[Job], Result], jobs: Iterable[Job], workers: int, timeout: float, max_memory_mb: int,
    failure: Callable[[Job, str], Result],
) -> Iterator[tuple[Job, Result]]:
    """Yield (job, result) as documents finish. Workers are forked, so whatever the parent loaded
    (the language pipeline, the model) is shared with them instead of loaded again."""
    from pebble import ProcessExpired, ProcessPool

    context = multiprocessing.get_context("fork")
    with ProcessPool(max_workers=workers, context=context, initializer=_start_worker, initargs=(max_memory_mb,)) as pool:
        futures = {pool.schedule(work, args=(job,), timeout=timeout): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except FutureTimeout:
                result = failure(job, f"took longer than {timeout:g} s and was stopped (document_timeout); the file may be malformed or huge")
            except ProcessExpired as error:
                if error.exitcode == MEMORY_EXIT_CODE:
                    result = failure(job, f"needed more than {max_memory_mb} MiB (max_memory_mb) and was stopped; the file may be malformed or huge")
                else:
                    result = failure(job, f"the worker crashed (exit code {error.exitcode}) reading it; the file may be malformed")
            except MemoryError:
                result = failure(job, "ran out of memory; the file may be malformed or huge")
            yield job, result


def run_dask(work: Callable[[Job], Result], jobs: Iterable[Job], address: str,
             failure: Callable[[Job, str], Result]) -> Iterator[tuple[Job, Result]]:
    """Yield (job, result) from an existing Dask cluster; workers must see the same files."""
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    jobs = list(jobs)
    with Client(address) as client:
        futures = client.map(work, jobs, pure=False)
        index = {future.key: job for future, job in zip(futures, jobs)}
        for future in dask_completed(futures):
            job = index[future.key]
            try:
                result = future.result()
            except Exception as error:  # a worker lost or a task error is one document's failure
                result = failure(job, f"failed on the Dask cluster ({type(error).__name__}: {error})")
            yield job, result
