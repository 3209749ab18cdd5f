"""Save and load MDPs as ``.npz`` (exact, binary) or human-readable JSON.

:func:`save` and :func:`load` choose the format by the file's suffix (``.npz``, else JSON). Everything
is validated by :class:`~tabular.mdp.MDP` on load (every row of ``P`` and ``rho0`` must sum to 1 within
1e-8; nothing is renormalized), and an unreadable file raises ``ValueError`` naming the path and
what is wrong.

The JSON format
---------------
One JSON object, meant to be read and written by hand. Its fields:

===========================  ========  ==========================================================
field                        required  meaning
===========================  ========  ==========================================================
``"gamma"``                  yes       the discount, a number in [0, 1)
``"rho0"``                   yes       the start distribution: a list of S numbers
``"R"``                      yes       expected rewards: S rows of A numbers (``R[s][a]``), or S
                                       numbers ``r(s)`` (the same reward for every action)
``"transitions"``            one of    a list of ``[s, a, next, p]`` entries: ``P[s, a, next] = p``;
                             the two   indices are integers from 0, unlisted entries are 0,
                                       duplicates are summed
``"P"``                                S x A x S nested lists: ``P[s][a]`` is the next-state
                                       distribution of ``(s, a)``
``"n_states"``               no        an integer, checked against the arrays
``"n_actions"``              no        an integer, checked against the arrays; required with
                                       ``"transitions"`` when ``"R"`` is given per state
``"sparse"``                 no        ``true`` or ``false`` (default): load as a sparse (CSR) model
``"comment"``, ``"name"``    no        any JSON value; ignored
``"layout"``                 no        drawing hints (a grid shape, action moves) read by
                                       ``python -m experiments explore``; ignored here
===========================  ========  ==========================================================

Any other field is an error, so that a misspelled field is never silently dropped. Numbers must be
JSON numbers (not strings such as ``"0.5"``), integers JSON integers (``2``, not ``2.0``) and flags
JSON booleans; a wrong type raises ``TypeError``, a wrong value or shape ``ValueError``. :func:`save`
writes one row per line: each ``P[s, a]`` row's ``[s, a, next, p]`` entries on one line, each row of
``R`` on one line.

A complete, valid file -- two states, two actions, start in state 0::

    {
      "gamma": 0.9,
      "n_states": 2,
      "n_actions": 2,
      "sparse": false,
      "rho0": [1.0, 0.0],
      "R": [
        [0.0, 1.0],
        [2.0, 0.0]
      ],
      "transitions": [
        [0, 0, 0, 0.9], [0, 0, 1, 0.1],
        [0, 1, 0, 0.2], [0, 1, 1, 0.8],
        [1, 0, 0, 0.5], [1, 0, 1, 0.5],
        [1, 1, 1, 1.0]
      ]
    }

Examples
--------
The file above, read from its text, and written back by :func:`to_json` (:func:`save` and
:func:`load` do the same through a path):

>>> from tabular.io import from_json, to_json
>>> mdp = from_json('''{"gamma": 0.9, "rho0": [1.0, 0.0], "R": [[0.0, 1.0], [2.0, 0.0]],
...     "transitions": [[0, 0, 0, 0.9], [0, 0, 1, 0.1], [0, 1, 0, 0.2], [0, 1, 1, 0.8],
...                     [1, 0, 0, 0.5], [1, 0, 1, 0.5], [1, 1, 1, 1.0]]}''')
>>> mdp.shape
(2, 2)
>>> mdp.P[0, 1].tolist()
[0.2, 0.8]
>>> from_json(to_json(mdp)).P.tolist() == mdp.P.tolist()
True

The same model with the nested ``"P"`` instead of ``"transitions"``:

>>> same = from_json('''{"gamma": 0.9, "rho0": [1, 0], "R": [[0, 1], [2, 0]],
...     "P": [[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0, 1]]]}''')
>>> bool((same.P == mdp.P).all() and (same.R == mdp.R).all())
True
"""

from __future__ import annotations

import errno
import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .mdp import MDP
from .validation import (
    as_float_array,
    check_gamma,
    check_int,
    check_mdp,
    check_path,
    check_real_dtype,
    describe,
)

__all__ = ["save", "load", "save_npz", "load_npz", "to_json", "from_json", "to_dict", "from_dict"]

#: The fields of the JSON form (see :func:`load`); ``comment`` and ``name`` are free text, ignored.
JSON_FIELDS = ("gamma", "n_states", "n_actions", "sparse", "rho0", "R", "transitions", "P", "comment", "name", "layout")


# ----------------------------------------------------------------------------- npz
def save_npz(mdp: MDP, path) -> None:
    """Save ``mdp`` to ``path`` (``.npz``) exactly, keeping a sparse ``P`` sparse.

    Examples
    --------
    >>> import os
    >>> from tabular import chain
    >>> from tabular.io import load_npz, save_npz
    >>> mdp = chain(4, sparse=True)
    >>> save_npz(mdp, "chain.npz")
    >>> back = load_npz("chain.npz")
    >>> print(back.is_sparse, (back.P != mdp.P).nnz)  # the same sparse matrix, bit for bit
    True 0
    >>> os.remove("chain.npz")
    """
    mdp = check_mdp(mdp)
    path = check_path(path)
    arrays = dict(R=mdp.R, rho0=mdp.rho0, gamma=np.float64(mdp.gamma), n_actions=np.int64(mdp.n_actions))
    if mdp.is_sparse:
        P = mdp.P
        arrays.update(P_data=P.data, P_indices=P.indices, P_indptr=P.indptr, P_shape=np.array(P.shape))
    else:
        arrays.update(P=mdp.P)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def _missing_file(path) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, "no such MDP file", os.fspath(path))


def _read_npz(path) -> dict:
    """All arrays of the ``.npz`` archive at ``path``; ``ValueError`` naming the path for anything
    that is not a readable archive of numeric arrays (never numpy's advice to allow pickles)."""
    if not os.path.exists(path):
        raise _missing_file(path)
    what = (f"{os.fspath(path)} is not a readable .npz archive of an MDP"
            " (is it truncated, or another kind of file?); write one with tabular.save(mdp, path)")
    try:
        z = np.load(path, allow_pickle=False)
    except (IsADirectoryError, PermissionError):
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError) as exc:
        raise ValueError(f"{what} [{type(exc).__name__}: {_no_pickle_advice(exc)}]") from None
    if isinstance(z, np.ndarray):
        raise ValueError(f"{os.fspath(path)} holds a single array (a .npy file, shape {z.shape}), not an .npz "
                         "archive of an MDP; write one with tabular.save(mdp, path)")
    arrays = {}
    with z:
        for key in z.files:
            try:
                arrays[key] = z[key]
            except ValueError as exc:
                if "pickle" in str(exc):
                    raise ValueError(f"{os.fspath(path)}: array {key!r} holds Python objects; an MDP file "
                                     "holds only arrays of numbers") from None
                raise ValueError(f"{what} [array {key!r}: {exc}]") from None
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise ValueError(f"{what} [array {key!r}: {type(exc).__name__}: {exc}]") from None
    return arrays


def _no_pickle_advice(exc: Exception) -> str:
    """numpy's message for a file that is no array says to pass allow_pickle=True: never advise
    unpickling an untrusted file."""
    text = str(exc)
    return "not an npz or npy file" if "pickle" in text else text


def _npz_field(arrays: dict, key: str, path) -> np.ndarray:
    if key not in arrays:
        raise ValueError(f"{os.fspath(path)} is not a saved MDP: it lacks the array {key!r}")
    return arrays[key]


def _sparse_P(arrays: dict, path):
    """The CSR transition matrix from ``P_data``, ``P_indices``, ``P_indptr`` and ``P_shape``."""
    where = os.fspath(path)
    missing = [k for k in ("P_data", "P_indices", "P_indptr", "P_shape") if k not in arrays]
    if missing:
        raise ValueError(f"{where} holds a sparse transition model without its array(s) {missing} "
                         "(a sparse P is saved as P_data, P_indices, P_indptr and P_shape)")
    shape = arrays["P_shape"]
    if shape.shape != (2,) or shape.dtype.kind not in "iu":
        raise ValueError(f"{where}: P_shape must be 2 integers (S*A, S), got shape {shape.shape} and "
                         f"dtype {shape.dtype}")
    for key in ("P_indices", "P_indptr"):
        a = arrays[key]
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise ValueError(f"{where}: {key} must be a 1-D integer array, got shape {a.shape} and dtype {a.dtype}")
    data = arrays["P_data"]
    check_real_dtype(data, "P_data")
    try:
        return sp.csr_array((data, arrays["P_indices"], arrays["P_indptr"]), shape=tuple(int(n) for n in shape))
    except ValueError as exc:
        raise ValueError(f"{where}: the sparse arrays P_data, P_indices, P_indptr and P_shape do not fit "
                         f"together ({exc})") from None


def load_npz(path) -> MDP:
    """Load an MDP saved by :func:`save_npz` (see :func:`load` for the errors).

    Examples
    --------
    >>> import os
    >>> import numpy as np
    >>> from tabular import garnet
    >>> from tabular.io import load_npz, save_npz
    >>> mdp = garnet(5, 2, rng=0)
    >>> save_npz(mdp, "garnet.npz")
    >>> bool(np.array_equal(load_npz("garnet.npz").P, mdp.P))
    True
    >>> os.remove("garnet.npz")
    """
    path = check_path(path)
    arrays = _read_npz(path)
    where = os.fspath(path)
    for key in ("R", "rho0", "gamma"):
        _npz_field(arrays, key, path)
    gamma = arrays["gamma"]
    if gamma.shape != ():
        raise ValueError(f"{where}: gamma must be a single number (shape ()), got an array of shape {gamma.shape}")
    check_real_dtype(gamma, "gamma")
    if "P" in arrays and "P_data" in arrays:
        raise ValueError(f"{where} holds both a dense 'P' and a sparse 'P_data': which one is the model?")
    if "P" in arrays:
        P = arrays["P"]
    elif "P_data" in arrays:
        P = _sparse_P(arrays, path)
    else:
        raise ValueError(f"{where} holds no transition model (no 'P' or 'P_data' array)")
    try:
        mdp = MDP(P, arrays["R"], arrays["rho0"], gamma.item())
    except (TypeError, ValueError) as exc:
        raise _in_file(exc, path) from None
    if "n_actions" in arrays:
        n = arrays["n_actions"]
        if n.shape != () or n.dtype.kind not in "iu" or int(n) != mdp.n_actions:
            raise ValueError(f"{where}: n_actions = {n!r} disagrees with the model's {mdp.n_actions} actions")
    return mdp


def _in_file(exc: Exception, path) -> Exception:
    """The same error (a plain ValueError or TypeError) with the file named at the end of its
    message; other errors (subclasses) unchanged."""
    if type(exc) in (TypeError, ValueError):
        return type(exc)(f"{exc} (in {os.fspath(path)})")
    return exc


# ----------------------------------------------------------------------------- dict / JSON
def to_dict(mdp: MDP) -> dict:
    """A JSON-ready dict; transitions are listed sparsely as ``[s, a, next, p]``.

    Examples
    --------
    >>> from tabular import two_state
    >>> from tabular.io import to_dict
    >>> d = to_dict(two_state())
    >>> print(d["gamma"], d["R"], d["transitions"][:2])
    0.95 [[5.0, 10.0], [-1.0, -1.0]] [[0, 0, 0, 0.5], [0, 0, 1, 0.5]]
    """
    mdp = check_mdp(mdp)
    S, A = mdp.shape
    Pf = mdp.P if mdp.is_sparse else sp.csr_array(mdp.P_flat)
    coo = Pf.tocoo()
    trans = [[int(r // A), int(r % A), int(c), float(p)] for r, c, p in zip(coo.row, coo.col, coo.data)]
    trans.sort()
    return {
        "gamma": mdp.gamma,
        "n_states": S,
        "n_actions": A,
        "sparse": mdp.is_sparse,
        "rho0": mdp.rho0.tolist(),
        "R": mdp.R.tolist(),
        "transitions": trans,
    }


def _json_leaves(x, where: str) -> None:
    """Raise ``TypeError`` naming ``where[i][j]`` unless every leaf of the nested lists ``x`` is a
    JSON number (``true``/``false``, strings and ``null`` are not numbers)."""
    if isinstance(x, (list, tuple)):
        for i, v in enumerate(x):
            _json_leaves(v, f"{where}[{i}]")
    elif isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where} must be a number, got {describe(x)}")


def _numbers(d: dict, key: str, ndim) -> np.ndarray:
    """Field ``key`` of the description as a float array: JSON lists must hold only numbers."""
    value = d[key]
    if isinstance(value, (list, tuple)):
        _json_leaves(value, key)
    return as_float_array(value, key, ndim=ndim)


def _count(d: dict, key: str) -> int | None:
    """An optional positive integer field (a JSON integer: 2.0 and 2.7 are refused, not truncated)."""
    if key not in d:
        return None
    return check_int(d[key], key, lo=1)


def _agree(name: str, given: int | None, actual: int, field: str) -> None:
    """Raise unless the declared size ``given`` (if any) equals ``actual``; ``field`` says where
    ``actual`` comes from, e.g. "rho0 has {} entries"."""
    if given is not None and given != actual:
        raise ValueError(f"{name} = {given} but {field.format(actual)}; they must agree")


def from_dict(d: dict) -> MDP:
    """Build an MDP from the dict form of the JSON format (see :func:`load`).

    Raises ``TypeError`` for a field of the wrong type and ``ValueError`` for a missing, unknown or
    inconsistent field, each naming the field.

    Examples
    --------
    >>> from tabular.io import from_dict
    >>> mdp = from_dict({"gamma": 0.5, "rho0": [1.0, 0.0], "R": [1.0, 0.0],
    ...                  "P": [[[0.0, 1.0]], [[0.0, 1.0]]]})
    >>> mdp
    MDP(S=2, A=1, gamma=0.5, dense)
    >>> mdp.R.tolist()  # a reward per state is broadcast over the actions
    [[1.0], [0.0]]
    """
    if not isinstance(d, dict):
        raise TypeError(f"the top level of an MDP description must be a JSON object (a dict) with the fields "
                        f"gamma, rho0, R and transitions or P; got {describe(d)}")
    unknown = sorted(str(k) for k in d if k not in JSON_FIELDS)
    if unknown:
        raise ValueError(f"MDP description has unknown field(s) {unknown}; the fields are {list(JSON_FIELDS)}")
    for key in ("gamma", "rho0", "R"):
        if key not in d:
            raise ValueError(f"MDP description lacks the required key {key!r}")
    gamma = check_gamma(d["gamma"])
    sparse = d.get("sparse", False)
    if not isinstance(sparse, bool):
        raise TypeError(f"sparse must be a JSON boolean (true or false), got {describe(sparse)}")
    n_states, n_actions = _count(d, "n_states"), _count(d, "n_actions")
    rho0 = _numbers(d, "rho0", 1)
    R = _numbers(d, "R", (1, 2))
    _agree("n_states", n_states, rho0.shape[0], "rho0 has {} entries")
    _agree("n_states", n_states, R.shape[0], "R has {} rows (one per state)")
    if R.ndim == 2:
        _agree("n_actions", n_actions, R.shape[1], "R has {} columns (one per action)")
    if "P" in d and "transitions" in d:
        raise ValueError("MDP description gives both 'P' and 'transitions'; give one of them")
    if "P" in d:
        P = _numbers(d, "P", 3)
        _agree("n_states", n_states, P.shape[0], f"P has {{}} states (shape {P.shape})")
        _agree("n_actions", n_actions, P.shape[1], f"P has {{}} actions (shape {P.shape})")
        mdp = MDP(P, R, rho0, gamma)
        return mdp.to_sparse() if sparse else mdp
    if "transitions" not in d:
        raise ValueError("MDP description needs 'transitions' (a list of [s, a, next, p]) or 'P'")
    S = rho0.shape[0] if n_states is None else n_states
    A = n_actions if n_actions is not None else (R.shape[1] if R.ndim == 2 else 0)
    if A <= 0:
        raise ValueError("MDP description needs 'n_actions' when R is given per state")
    Pf = _transitions(d["transitions"], S, A)
    mdp = MDP(Pf, R, rho0, gamma)
    return mdp if sparse else mdp.to_dense()


def _transitions(entries, S: int, A: int):
    """The ``(S*A, S)`` CSR matrix of a list of ``[s, a, next, p]`` entries (duplicates summed)."""
    want = "transitions must be a list of [s, a, next, p] entries of 4 numbers each"
    if not isinstance(entries, (list, tuple)):
        raise TypeError(f"{want}, got {describe(entries)}")
    _json_leaves(entries, "transitions")
    try:
        t = np.asarray(entries, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{want} (some entries have another length)") from None
    if t.ndim != 2 or t.shape[1] != 4:
        raise ValueError(f"{want}, got shape {t.shape}")
    if isinstance(entries, (list, tuple)):  # JSON: the indices must be JSON integers (0, not 0.0)
        for k, entry in enumerate(entries):
            for name, v in zip(("state", "action", "next state"), entry[:3]):
                if not isinstance(v, (int, np.integer)):
                    raise ValueError(f"transitions[{k}]: the {name} index must be an integer, got {v!r}")
    s, a, nxt, p = t[:, 0], t[:, 1], t[:, 2], t[:, 3]
    for name, v, hi in (("state", s, S), ("action", a, A), ("next state", nxt, S)):
        if np.any((v != np.round(v)) | (v < 0) | (v >= hi)):
            k = int(np.argmax((v != np.round(v)) | (v < 0) | (v >= hi)))
            raise ValueError(f"transitions[{k}]: a {name} index is not an integer in [0, {hi}), got {v[k]:g}")
    rows = (s * A + a).astype(np.int64)
    return sp.csr_array((p, (rows, nxt.astype(np.int64))), shape=(S * A, S))  # duplicates summed


def _format_json(d: dict, indent: int) -> str:
    """The dict form as JSON text with one row per line: scalars and ``rho0`` on one line each,
    each row of ``R`` on its own line, and the ``[s, a, next, p]`` entries of each ``P[s, a]`` row
    together on one line."""
    pad, pad2 = " " * indent, " " * (2 * indent)
    dumps = json.dumps
    lines = [f"{pad}{dumps(k)}: {dumps(d[k])}" for k in ("gamma", "n_states", "n_actions", "sparse")]
    lines.append(f"{pad}\"rho0\": {dumps(d['rho0'])}")
    lines.append(f"{pad}\"R\": [\n" + ",\n".join(pad2 + dumps(r) for r in d["R"]) + f"\n{pad}]")
    groups: list[list] = []
    for entry in d["transitions"]:
        if groups and groups[-1][0][:2] == entry[:2]:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    rows = ",\n".join(pad2 + ", ".join(dumps(e) for e in g) for g in groups)
    lines.append(f"{pad}\"transitions\": [\n{rows}\n{pad}]" if groups else f"{pad}\"transitions\": []")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def to_json(mdp: MDP, path=None, indent: int | None = 2) -> str:
    """The JSON text of ``mdp`` (format: :func:`load`); also written to ``path`` if given.

    With an integer ``indent`` (default 2) the text has one row per line, to be read and edited by
    a person: each row of ``R`` on its own line and the ``[s, a, next, p]`` entries of each
    ``P[s, a]`` row together on one line. ``indent=None`` gives compact one-line JSON. Floats are
    written exactly (shortest round-trip form), so :func:`from_json` gives back the same numbers.

    Examples
    --------
    >>> from tabular import mdp_x
    >>> from tabular.io import from_json, to_json
    >>> text = to_json(mdp_x())
    >>> print(text.splitlines()[1])
      "gamma": 0.9,
    >>> from_json(text).P.tolist() == mdp_x().P.tolist()
    True
    """
    d = to_dict(mdp)
    if indent is None:
        text = json.dumps(d)
    else:
        text = _format_json(d, check_int(indent, "indent", lo=0))
    if path is not None:
        Path(check_path(path)).write_text(text)
    return text


def _read_text(path) -> str:
    if not os.path.exists(path):
        raise _missing_file(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{os.fspath(path)} is not a JSON text file (it is not valid UTF-8 text)") from None


def from_json(text_or_path) -> MDP:
    """Load an MDP from JSON text or from a ``.json`` file (format: :func:`load`).

    A ``pathlib.Path`` is always a file; a ``str`` is JSON text if it is valid JSON (e.g. starts with
    ``{``), else the path of a file. Errors name the field, and the file when there is one.

    Examples
    --------
    >>> from tabular.io import from_json
    >>> mdp = from_json('{"gamma": 0.9, "rho0": [1], "R": [[1, 2]], "transitions": [[0, 0, 0, 1], [0, 1, 0, 1]]}')
    >>> print(mdp.shape, mdp.R.tolist())
    (1, 2) [[1.0, 2.0]]
    """
    path = None
    if isinstance(text_or_path, bytes):
        text_or_path = text_or_path.decode("utf-8")
    if isinstance(text_or_path, os.PathLike):
        path = text_or_path
    elif isinstance(text_or_path, str):
        s = text_or_path.strip()
        if not s.startswith(("{", "[")):
            if os.path.exists(text_or_path):
                path = text_or_path
            else:
                try:
                    value = json.loads(s)
                except ValueError:
                    path = text_or_path  # not JSON: the name of a file (that does not exist)
                else:
                    return from_dict(value)  # JSON, but not an object: from_dict says so
    else:
        raise TypeError(f"text_or_path must be JSON text (str) or the path of a .json file, got {describe(text_or_path)}")
    if path is None:
        return from_dict(json.loads(text_or_path))
    text = _read_text(path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{os.fspath(path)} is not valid JSON: {exc}") from None
    try:
        return from_dict(value)
    except (TypeError, ValueError) as exc:
        raise _in_file(exc, path) from None


# ----------------------------------------------------------------------------- by suffix
def _suffix(path) -> str:
    suffix = Path(check_path(path)).suffix.lower()
    if suffix not in (".npz", ".json"):
        raise ValueError(f"unknown MDP file type {suffix!r} of {os.fspath(path)!r}: use .npz or .json")
    return suffix


def save(mdp: MDP, path) -> None:
    """Save by suffix: ``.npz`` (exact binary) or ``.json`` (human-readable, one row per line; the
    format is described in :func:`load`). Both round-trip exactly through :func:`load`.

    Examples
    --------
    >>> import os
    >>> from tabular import load, save, two_state
    >>> save(two_state(), "two_state.json")  # human-readable; ".npz" saves exact binary
    >>> load("two_state.json")
    MDP(S=2, A=2, gamma=0.95, dense)
    >>> os.remove("two_state.json")
    """
    mdp = check_mdp(mdp)
    if _suffix(path) == ".npz":
        save_npz(mdp, path)
    else:
        to_json(mdp, path)


def load(path) -> MDP:
    """Load an MDP saved by :func:`save`: ``.npz`` (exact, binary) or ``.json`` (readable; by hand).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npz`` file written by :func:`save` or :func:`save_npz`, or a ``.json`` file in the format
        below, written by :func:`save` or :func:`to_json`, or by hand.

    Returns
    -------
    MDP
        Validated by :class:`MDP`: every row of ``P`` and ``rho0`` must sum to 1 within 1e-8 and
        nothing is renormalized.

    Raises
    ------
    FileNotFoundError
        (an ``OSError``) If there is no file at ``path``; the message names it.
    ValueError
        If the file is not a saved MDP: not an ``.npz`` archive (garbage, truncated, a lone ``.npy``
        array renamed), an array or field missing, unknown or of the wrong shape, sizes that
        disagree, rows that are not distributions, invalid JSON. The message names the path and the
        field.
    TypeError
        If a JSON field has the wrong type: a string where numbers go, ``2.7`` for ``n_actions``,
        ``"no"`` for ``sparse``, a top level that is not an object.

    Notes
    -----
    The JSON format (its fields, a complete example file and a runnable example) is documented in
    the module docstring of :mod:`tabular.io` (``help(tabular.io)``).

    Examples
    --------
    >>> import os
    >>> import numpy as np
    >>> from tabular import gridworld, load, save
    >>> mdp = gridworld(2, 3)
    >>> save(mdp, "grid.npz")
    >>> bool(np.array_equal(load("grid.npz").P, mdp.P))
    True
    >>> os.remove("grid.npz")
    """
    if _suffix(path) == ".npz":
        return load_npz(path)
    return from_json(Path(path))
