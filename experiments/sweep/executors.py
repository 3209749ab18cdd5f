"""Where the chunks of a sweep run: in this process, on a process pool, or on a Dask cluster.

Every backend yields the row lists of a chunk function as chunks complete: ``engine="batched"``
(:func:`experiments.sweep.batched.run_chunk_batched`, the default) or ``"reference"``
(:func:`experiments.sweep.record.run_chunk`, one instance at a time); the rows depend on ``(seed, i)``
and the engine only, never on the backend (and the two engines agree to round-off).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed

from .batched import run_chunk_batched
from .record import run_chunk

#: The chunk function of each engine.
ENGINES = {"batched": run_chunk_batched, "reference": run_chunk}


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {tuple(ENGINES)}, got {engine!r}")
    return engine


def rows_as_completed(config, chunks, workers: int, scheduler=None, engine: str = "batched"):
    """Yield the row lists of ``chunks`` as they complete, on the requested backend: the Dask
    cluster at ``scheduler`` (an address or a ``distributed.Client``) if given, else this process
    (``workers == 1``) or a pool of ``workers`` processes; ``engine`` picks the chunk function."""
    fn = ENGINES[check_engine(engine)]
    if scheduler is not None:
        return dask_rows(config, chunks, scheduler, fn)
    if workers == 1:
        return inline_rows(config, chunks, fn)
    return process_rows(config, chunks, workers, fn)


def inline_rows(config, chunks, fn=run_chunk_batched):
    """The chunks one after the other, in this process."""
    for ch in chunks:
        yield fn(config, ch)


def process_rows(config, chunks, workers: int, fn=run_chunk_batched):
    """The chunks on a :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` processes."""
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(fn, config, ch) for ch in chunks]
        for fut in as_completed(futures):
            yield fut.result()
    finally:  # interrupted (Ctrl-C, an error): drop the queued chunks; what was written stays resumable
        pool.shutdown(wait=True, cancel_futures=True)


def dask_rows(config, chunks, scheduler, fn=run_chunk_batched):
    """The chunks on a Dask distributed cluster (``client.map`` over chunks, gathered as they complete);
    a client made here from an address is closed at the end, a given one is left open."""
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - dask is a runtime dependency
        raise ImportError("--scheduler needs dask distributed: pip install 'dask[distributed]'") from exc
    own = not isinstance(scheduler, distributed.Client)
    client = distributed.Client(scheduler) if own else scheduler
    pending: set = set()
    try:
        futures = client.map(fn, [config] * len(chunks), chunks, pure=False)
        pending = set(futures)
        for fut in distributed.as_completed(futures):
            pending.discard(fut)
            rows = fut.result()
            fut.release()
            yield rows
    finally:  # interrupted: cancel what is still queued on the cluster
        if pending:
            client.cancel(list(pending))
        if own:
            client.close()
