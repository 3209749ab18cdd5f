"""Export the sweep's saved violations as certificates (reads the saved files only; the sweep is not run).

A sweep (``python -m experiments sweep ... --out DIR``) saves every flagged instance as
``DIR/violations/<id>.npz`` (the MDP, :func:`tabular.io.save`), ``<id>.policies.npz`` (``pi``,
``pi_new``) and ``<id>.json`` (``"reasons"``, e.g. ``"candidate:mean_kl_rho"`` or ``"bound:theorem1"``).
:func:`export_sweep` writes one certificate per (instance, claim) to ``OUT/<id>_<claim>.json`` and
verifies it exactly; non-monotone update steps and errors are not bound claims and are skipped.

    python -m experiments.export_certificates SWEEP_DIR OUT_DIR
"""

from __future__ import annotations

import json
import sys
import zipfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from bounds.counterexamples.certificate import Verification, make_certificate, verify_certificate
from bounds.counterexamples.claims import CLAIMS, claim_named
from tabular import io as tio

from ._cli import check_writable_dir

__all__ = ["Exported", "export_sweep", "claim_of_reason"]


@dataclass(frozen=True)
class Exported:
    """One exported certificate: the sweep instance, the claim, the file and its exact verification.

    Examples
    --------
    >>> from pathlib import Path
    >>> from bounds.counterexamples import known_counterexamples, make_certificate, verify_certificate
    >>> from experiments.export_certificates import Exported
    >>> cx = known_counterexamples()[0]
    >>> v = verify_certificate(make_certificate(cx.mdp, cx.pi, cx.pi_new, "mean_kl"))
    >>> print(Exported(0, "mean_kl", Path("0_mean_kl.json"), v))
    Exported(id=0, 'mean_kl', proven=True)
    """

    instance_id: int
    claim: str
    path: Path
    verification: Verification

    def __repr__(self) -> str:
        return f"Exported(id={self.instance_id}, {self.claim!r}, proven={self.verification.proven})"


def claim_of_reason(reason: str) -> str | None:
    """The named claim of a sweep reason (``"candidate:mean_kl_rho"`` -> ``"mean_kl"``), or None.

    Examples
    --------
    >>> from experiments.export_certificates import claim_of_reason
    >>> print(claim_of_reason("candidate:mean_kl_rho"), claim_of_reason("bound:theorem1"))
    mean_kl theorem1
    >>> print(claim_of_reason("monotone:pg"), claim_of_reason("candidate:no_such_claim"))
    None None
    """
    kind, _, name = reason.partition(":")
    if kind not in ("candidate", "bound"):
        return None
    try:
        return claim_named(name).name
    except ValueError:
        return None


def _read_instance(vdir: Path, i: int, meta_file: Path):
    """``(meta, mdp, pi, pi_new)`` of saved instance ``i``; a damaged or missing file raises ``ValueError``
    naming it."""
    try:
        meta = json.loads(meta_file.read_text())
        if not isinstance(meta, dict):
            raise ValueError(f"expected a JSON object, got {type(meta).__name__}")
        reasons = meta.get("reasons", [])
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
            raise ValueError(f"'reasons' must be a list of strings, got {reasons!r}")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"sweep_dir: {meta_file} is damaged: {exc}") from None
    try:
        mdp = tio.load(vdir / f"{i}.npz")
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"sweep_dir: cannot read the saved MDP {vdir / f'{i}.npz'}: {exc}") from None
    pfile = vdir / f"{i}.policies.npz"
    try:
        with np.load(pfile, allow_pickle=False) as z:
            pi, pi_new = z["pi"].copy(), z["pi_new"].copy()
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"sweep_dir: cannot read the saved policies {pfile}: {exc}") from None
    return meta, mdp, pi, pi_new


def export_sweep(sweep_dir, out_dir) -> list:
    """Certificates for every saved violation of a named claim in ``sweep_dir/violations``.

    A missing ``violations/`` folder, a damaged saved file or an ``out_dir`` that cannot be written
    raises ``ValueError`` naming the argument (and the file).

    Examples
    --------
    >>> from experiments.export_certificates import export_sweep
    >>> import json, os
    >>> import numpy as np
    >>> from tabular import save
    >>> from bounds.counterexamples import known_counterexamples
    >>> cx = known_counterexamples()[0]  # the mean-KL violation on MDP X
    >>> os.makedirs("sweep/violations", exist_ok=True)
    >>> _ = save(cx.mdp, "sweep/violations/0.npz")
    >>> np.savez("sweep/violations/0.policies.npz", pi=cx.pi, pi_new=cx.pi_new)
    >>> with open("sweep/violations/0.json", "w") as f:
    ...     json.dump({"reasons": ["candidate:mean_kl_rho", "monotone:pg"]}, f)
    >>> for e in export_sweep("sweep", "certs"):
    ...     print(e.instance_id, e.claim, e.path.as_posix(), e.verification.proven)
    0 mean_kl certs/0_mean_kl.json True
    """
    for arg, v in (("sweep_dir", sweep_dir), ("out_dir", out_dir)):
        if not isinstance(v, (str, PathLike)):
            raise TypeError(f"{arg} must be a path, got {type(v).__name__}")
    vdir = Path(sweep_dir) / "violations"
    if not vdir.is_dir():
        raise ValueError(f"sweep_dir: no violations/ folder in {sweep_dir}")
    out = check_writable_dir(out_dir, "out_dir")
    out.mkdir(parents=True, exist_ok=True)
    done = []
    for meta_file in sorted(vdir.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else -1):
        if not meta_file.stem.isdigit():
            continue
        i = int(meta_file.stem)
        meta, mdp, pi, pi_new = _read_instance(vdir, i, meta_file)
        for reason in meta.get("reasons", []):
            name = claim_of_reason(reason)
            if name is None or name not in CLAIMS:
                continue
            cert = make_certificate(mdp, pi, pi_new, name,
                                    provenance={"sweep_dir": str(sweep_dir), "id": i, "reason": reason,
                                                "family": meta.get("family"), "seed": meta.get("seed")})
            path = cert.save(out / f"{i}_{name}.json")
            done.append(Exported(i, name, path, verify_certificate(path)))
    return done


def main(argv=None) -> int:
    import argparse

    from ._cli import add_version

    parser = argparse.ArgumentParser(prog="python -m experiments.export_certificates",
                                     description=__doc__.strip().splitlines()[0])
    parser.add_argument("sweep_dir", help="a sweep's --out folder (with violations/)")
    parser.add_argument("out_dir", help="folder for the certificates")
    add_version(parser)
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        exported = export_sweep(args.sweep_dir, args.out_dir)
    except (ValueError, TypeError) as exc:
        parser.error(" ".join(str(exc).split()))
    for e in exported:
        print(f"{e.path}: {e.verification}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
