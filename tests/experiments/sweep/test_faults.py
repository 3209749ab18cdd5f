"""Faults of a sweep (experiments/sweep/{executors,store,run,cli}.py): workers end with a killed
parent, a second sweep into a held folder is refused, damaged files are repaired or refused naming
the file and line, an unwritable --out or an unreachable scheduler is a one-line error before any work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments import sweep as SW
from experiments.sweep import executors, store

from ._helpers import FAMS, GAMMAS, N, STEPS, files

ROOT = Path(__file__).resolve().parents[3]


def _children(pid: int) -> list:
    """The child pids of ``pid`` (Linux /proc)."""
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_end_when_the_sweep_is_killed(tmp_path):
    cmd = [sys.executable, "-m", "experiments", "sweep", "--n", "100000", "--families", "garnet", "--gammas", "0.9",
           "--workers", "2", "--chunk", "1", "--engine", "reference", "--no-progress", "--no-figure",
           "--out", str(tmp_path / "s")]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kids = []
    try:
        deadline = time.monotonic() + 120
        while len(kids) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            kids = [k for k in _children(proc.pid) if _alive(k)]
        assert len(kids) == 2, f"the sweep did not start its 2 workers (children {kids})"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [k for k in kids if _alive(k)], "workers outlived the killed sweep"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for k in kids:  # never leave a process behind, whatever the test found
            if _alive(k):
                os.kill(k, signal.SIGKILL)


def test_a_second_sweep_into_a_held_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "held"
    out.mkdir()
    with store.sweep_lock(out):
        with pytest.raises(ValueError, match="another sweep .* is running"):
            SW.run_sweep(4, FAMS, GAMMAS, 0, out, workers=1, update_steps=STEPS, progress=False, figure=False)
        code = SW.main(["--n", "4", "--out", str(out), "--workers", "1", "--no-progress", "--no-figure"])
        err = capsys.readouterr().err
        assert code == 2 and "another sweep" in err and str(os.getpid()) in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not (out / SW.CSV_NAME).exists()  # nothing was computed
    # released: the same folder works now
    res = SW.run_sweep(4, ("chain",), (0.5,), 0, out, workers=1, update_steps=0, progress=False, figure=False)
    assert res.n_computed == 4


def _damage(path: Path, lines_to_damage: dict, cut_last: bool) -> list:
    """Replace the given lines (index -> bytes) of ``path``; cut the last line in half if asked."""
    lines = path.read_bytes().split(b"\n")[:-1]
    for k, new in lines_to_damage.items():
        lines[k] = new(lines[k])
    data = b"\n".join(lines) + b"\n"
    if cut_last:
        data = data[: len(data) - len(lines[-1]) // 2 - 1]
    path.write_bytes(data)
    return lines


def test_damaged_rows_are_recomputed(base, tmp_path):
    import shutil

    out0, res0 = base
    out = tmp_path / "damaged"
    out.mkdir()
    for name in (SW.CONFIG_NAME, SW.CSV_NAME):
        shutil.copy(out0 / name, out / name)
    csv_path = out / SW.CSV_NAME
    cols = SW.columns(store.read_config(out))
    k_float = cols.index("eta")

    def not_a_number(line):
        f = line.split(b",")
        f[k_float] = b"abc"
        return b",".join(f)

    _damage(csv_path, {3: not_a_number, 7: lambda line: b"\xff\xfe\x00garbage" + line[5:],
                       11: lambda line: line[: len(line) // 3]}, cut_last=True)
    # lines 3, 7, 11 hold ids 2, 6, 10; the last line (id N-1) is cut
    good = store.read_rows(csv_path, cols, repair=False)
    assert sorted(set(range(N)) - set(good)) == [2, 6, 10, N - 1]
    res = SW.run_sweep(N, FAMS, GAMMAS, 0, out, workers=1, update_steps=STEPS, progress=False, figure=False)
    assert res.n_computed == 4
    assert res.report == res0.report
    assert files(out, figure=False) == files(out0, figure=False)


def test_a_damaged_header_or_settings_file_is_refused_naming_file_and_line(base, tmp_path):
    import shutil

    out0, _ = base
    out = tmp_path / "hdr"
    out.mkdir()
    shutil.copy(out0 / SW.CONFIG_NAME, out / SW.CONFIG_NAME)
    data = (out0 / SW.CSV_NAME).read_bytes()
    (out / SW.CSV_NAME).write_bytes(b"\x00\xff" + data[10:])
    with pytest.raises(ValueError, match=r"results\.csv, line 1"):
        SW.run_sweep(N, FAMS, GAMMAS, 0, out, workers=1, update_steps=STEPS, progress=False, figure=False)
    (out / SW.CONFIG_NAME).write_text('{"seed": 0, "families": ["chain"')
    with pytest.raises(ValueError, match=r"sweep_config\.json, line 1: damaged JSON"):
        SW.load_results(out)
    (out / SW.CONFIG_NAME).write_text('[1, 2]')
    with pytest.raises(ValueError, match=r"sweep_config\.json: expected a JSON object"):
        SW.load_results(out)


def test_a_truncated_timing_file_is_set_aside(tmp_path):
    out = tmp_path / "t"
    SW.run_sweep(3, ("chain",), (0.5,), 0, out, workers=1, update_steps=0, progress=False, figure=False)
    text = (out / "timing.json").read_text()
    assert len(json.loads(text)) == 1
    (out / "timing.json").write_text(text[: len(text) // 2])
    with pytest.warns(RuntimeWarning, match=r"timing\.json is damaged \(line \d+"):
        SW.run_sweep(5, ("chain",), (0.5,), 0, out, workers=1, update_steps=0, progress=False, figure=False)
    runs = json.loads((out / "timing.json").read_text())
    assert [r["n_computed"] for r in runs] == [2]
    assert (out / "timing.json.damaged").read_text() == text[: len(text) // 2]


@pytest.mark.parametrize("out", ["/dev/null/x", "/proc/no-sweep-here"])
def test_an_unwritable_out_is_refused_before_any_work(out, capsys):
    with pytest.raises(ValueError, match="out="):
        SW.run_sweep(3, ("chain",), (0.5,), 0, out, workers=1, progress=False)
    code = None
    with pytest.raises(SystemExit) as exc:
        SW.main(["--n", "3", "--out", out])
    code = exc.value.code
    err = capsys.readouterr().err
    assert code == 2 and "argument --out" in err and "Traceback" not in err


def test_an_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 1.0)
    out = tmp_path / "dask"
    code = SW.main(["--n", "3", "--out", str(out), "--scheduler", "127.0.0.1:1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "scheduler" in err and "127.0.0.1:1" in err
    assert not out.exists()  # refused before any file was written
    for bad in ("nohost", "host:port", ":8786", "tcp://h:99999"):
        with pytest.raises(SystemExit) as exc:
            SW.main(["--n", "3", "--out", str(out), "--scheduler", bad])
        assert exc.value.code == 2 and "argument --scheduler" in capsys.readouterr().err


def test_replay_names_damaged_files(tmp_path):
    from tabular import io as tio
    from tabular.zoo import two_state
    import numpy as np

    out = tmp_path / "r"
    vdir = out / "violations"
    vdir.mkdir(parents=True)
    store.write_json(out / SW.CONFIG_NAME, SW.SweepConfig(0, ("chain",), (0.5,), update_steps=0).to_json())
    tio.save(two_state(0.5), vdir / "3.npz")
    with open(vdir / "3.policies.npz", "wb") as f:
        np.savez_compressed(f, pi=np.full((2, 2), 0.5), pi_new=np.full((2, 2), 0.5))
    assert SW.replay(out, 3).violated == ()
    (vdir / "3.json").write_text('{"id": 3,')
    with pytest.raises(ValueError, match=r"3\.json: damaged"):
        SW.replay(out, 3)
    (vdir / "3.policies.npz").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"3\.policies\.npz: cannot read"):
        SW.replay(out, 3)
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="instance_id"):
            SW.replay(out, bad)
    with pytest.raises(TypeError, match="config"):
        SW.replay(out, 3, config={"seed": 0})


def test_absurd_sizes_and_wrong_types_are_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "z"
    with pytest.raises(ValueError, match="n must be <="):
        SW.run_sweep(10**12, ("chain",), (0.5,), 0, out)
    with pytest.raises(ValueError, match="workers must be <="):
        SW.run_sweep(3, ("chain",), (0.5,), 0, out, workers=10**6)
    with pytest.raises(TypeError, match="families must be a list"):
        SW.run_sweep(3, "chain", (0.5,), 0, out)
    with pytest.raises(TypeError, match="gammas must be a list"):
        SW.run_sweep(3, ("chain",), 0.5, 0, out)
    with pytest.raises(TypeError, match="candidates"):
        SW.run_sweep(3, ("chain",), (0.5,), 0, out, candidates="no")
    with pytest.raises(TypeError, match="progress"):
        SW.run_sweep(3, ("chain",), (0.5,), 0, out, progress="yes")
    assert not out.exists()
    code = SW.main(["--n", str(10**12), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "n must be <=" in err and len(err.strip().splitlines()) == 1
