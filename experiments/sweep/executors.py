"""Where the chunks of a sweep run: in this process, on a process pool, or on a Dask cluster.

Every backend yields the row lists of a chunk function as chunks complete: ``engine="batched"``
(:func:`experiments.sweep.engine_batched.run_chunk_batched`, the default) or ``"reference"``
(:func:`experiments.sweep.record.run_chunk`, one instance at a time); the rows depend on ``(seed, i)``
and the engine only, never on the backend (and the two engines agree to round-off).
"""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed

from .engine_batched import run_chunk_batched
from .record import run_chunk

#: The chunk function of each engine.
ENGINES = {"batched": run_chunk_batched, "reference": run_chunk}


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {tuple(ENGINES)}, got {engine!r}")
    return engine


#: Seconds to wait for a Dask scheduler before giving up with a one-line error.
CONNECT_TIMEOUT = 10.0
#: Seconds between a worker's checks that the sweep that started it is still alive.
PARENT_POLL = 0.5


def _die_with_parent(parent_pid: int) -> None:
    """Make this worker process end when the process ``parent_pid`` that started it ends.

    Two ways, since a SIGKILL of the sweep runs no cleanup: on Linux the kernel sends SIGKILL to the
    worker when its parent dies (``prctl(PR_SET_PDEATHSIG)`` through ctypes); everywhere a daemon
    thread checks every :data:`PARENT_POLL` seconds that ``os.getppid()`` is still ``parent_pid``
    (an orphan is re-parented) and ends the worker with ``os._exit`` otherwise.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):  # pragma: no cover - no libc: the polling thread still works
            pass

    def watch():
        while os.getppid() == parent_pid:
            threading.Event().wait(PARENT_POLL)
        os._exit(1)

    threading.Thread(target=watch, name="sweep-parent-watch", daemon=True).start()


def connect(scheduler, timeout: float | None = None):
    """``(client, own)``: a ``distributed.Client`` for ``scheduler`` (an address such as
    ``"tcp://host:8786"`` or ``"host:8786"``, or a client) and whether it was made here.

    An address that is not a string, or a scheduler that does not answer within ``timeout`` seconds,
    raises ``ValueError`` naming ``scheduler`` (default ``timeout``: :data:`CONNECT_TIMEOUT`).
    """
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - dask is a runtime dependency
        raise ImportError("--scheduler needs dask distributed: pip install 'dask[distributed]'") from exc
    if isinstance(scheduler, distributed.Client):
        return scheduler, False
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ValueError(f"scheduler must be an address such as 'tcp://host:8786' or a distributed.Client, "
                         f"got {scheduler!r}")
    try:
        return distributed.Client(scheduler.strip(), timeout=CONNECT_TIMEOUT if timeout is None else timeout), True
    except (OSError, ValueError, TypeError) as exc:
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"scheduler: cannot connect to the Dask scheduler at {scheduler!r}: {msg}") from None


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
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_die_with_parent, initargs=(os.getpid(),))
    try:
        futures = [pool.submit(fn, config, ch) for ch in chunks]
        for fut in as_completed(futures):
            yield fut.result()
    finally:  # interrupted (Ctrl-C, an error): drop the queued chunks; what was written stays resumable
        pool.shutdown(wait=True, cancel_futures=True)


def dask_rows(config, chunks, scheduler, fn=run_chunk_batched):
    """The chunks on a Dask distributed cluster (``client.map`` over chunks, gathered as they complete);
    a client made here from an address (:func:`connect`) is closed at the end, a given one is left open."""
    import distributed

    client, own = connect(scheduler)
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
