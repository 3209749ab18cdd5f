"""What a running sweep shows on stderr: a tqdm bar on a terminal, otherwise (a log file, a pipe, a
batch job) a one-line heartbeat every ``every`` seconds. Both count the instances done, the rate and
the failures so far (:func:`experiments.sweep.report.row_failures`); neither touches the results.

A heartbeat line reads::

    sweep: 1,230/40,000 instances (3.1%), 61.5/s, 0 violations so far, 20 s elapsed, ETA 10.5 min

It is printed when a chunk completes and at least ``every`` seconds have passed since the last line
(``every = 0``: after every chunk), and once at the end.
"""

from __future__ import annotations

import sys
import time

from tabular.validation import check_int, check_real

from .report import row_failures


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class Heartbeat:
    """One line on ``stream`` every ``every`` seconds (checked as chunks complete) and one at the end."""

    def __init__(self, total: int, every: float = 10.0, stream=None, clock=time.monotonic):
        self.total, self.every, self.clock = int(total), float(every), clock
        self.stream = sys.stderr if stream is None else stream
        self.done = self.failures = 0
        self.t0 = self.last = clock()

    def line(self) -> str:
        elapsed = self.clock() - self.t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = f", ETA {_duration((self.total - self.done) / rate)}" if 0 < rate and self.done < self.total else ""
        pct = 100 * self.done / self.total if self.total else 100.0
        return (f"sweep: {self.done:,}/{self.total:,} instances ({pct:.1f}%), {rate:.1f}/s, "
                f"{self.failures:,} violations so far, {_duration(elapsed)} elapsed{eta}")

    def update(self, rows) -> None:
        self.done += len(rows)
        self.failures += sum(row_failures(r) for r in rows)
        now = self.clock()
        if now - self.last >= self.every and self.done < self.total:
            self.last = now
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        print(self.line(), file=self.stream, flush=True)


class Bar:
    """A tqdm bar with the failures so far as its postfix."""

    def __init__(self, total: int, stream=None):
        from tqdm import tqdm

        self.failures = 0
        self.bar = tqdm(total=total, unit="inst", desc="sweep", file=sys.stderr if stream is None else stream)
        self.bar.set_postfix_str("0 violations", refresh=False)

    def update(self, rows) -> None:
        self.failures += sum(row_failures(r) for r in rows)
        self.bar.set_postfix_str(f"{self.failures:,} violations", refresh=False)
        self.bar.update(len(rows))

    def close(self) -> None:
        self.bar.close()


class Silent:
    def update(self, rows) -> None:
        pass

    def close(self) -> None:
        pass


def progress_display(total: int, progress: bool | None = None, heartbeat: float = 10.0, stream=None):
    """The display of a sweep computing ``total`` instances: ``progress=None`` a :class:`Bar` if
    ``stream`` (default stderr) is a terminal, else a :class:`Heartbeat` every ``heartbeat`` seconds;
    ``True`` always the bar; ``False`` nothing."""
    total = check_int(total, "total", lo=0)
    heartbeat = check_real(heartbeat, "heartbeat", lo=0.0, allow_inf=True)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be None, True or False, got {progress!r}")
    stream = sys.stderr if stream is None else stream
    if progress is False:
        return Silent()
    if progress is None and not (hasattr(stream, "isatty") and stream.isatty()):
        return Heartbeat(total, heartbeat, stream)
    return Bar(total, stream)
