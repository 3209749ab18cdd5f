"""A Sphinx directive that renders a command line's ``--help`` at build time.

``.. cli-help:: experiments sweep`` runs ``main([..., "sweep", "--help"])`` of ``experiments.__main__``
in the build process (argparse prints the help and raises ``SystemExit(0)``) and inserts the text as a
literal block, so the page shows exactly what ``python -m experiments sweep --help`` prints and cannot
drift from the parsers. The width is fixed (``COLUMNS=100``) so the page does not depend on the terminal
of whoever builds it. A command whose help fails to render is a build error.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import os

from docutils import nodes
from docutils.parsers.rst import Directive

WIDTH = "100"


def render_help(command: str) -> str:
    """The ``--help`` text of ``python -m <command>``, e.g. ``"experiments sweep"`` or ``"bounds theory"``.

    The first word names the module run with ``-m`` (its ``__main__`` for a package), the rest are the
    arguments before ``--help``. Raises ``RuntimeError`` if the command does not exit with status 0.
    """
    words = command.split()
    if not words:
        raise ValueError("command: expected 'module [subcommand ...]', got an empty string")
    module_name, argv = words[0], [*words[1:], "--help"]
    module = importlib.import_module(module_name)
    if hasattr(module, "__path__"):  # a package: python -m runs its __main__
        module = importlib.import_module(module_name + ".__main__")
    out = io.StringIO()
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        with contextlib.redirect_stdout(out):
            try:
                module.main(argv)
            except SystemExit as stop:
                if stop.code not in (0, None):
                    raise RuntimeError(f"python -m {command} --help exited with {stop.code}") from None
            else:
                raise RuntimeError(f"python -m {command} --help did not exit (printed no help?)")
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return out.getvalue()


class CliHelp(Directive):
    """``.. cli-help:: module [subcommand ...]``: the command's ``--help``, as a literal block."""

    required_arguments = 1
    final_argument_whitespace = True

    def run(self):
        command = self.arguments[0]
        try:
            text = render_help(command)
        except Exception as exc:  # noqa: BLE001 -- reported as a build error with its cause
            raise self.error(f"cli-help {command!r}: {type(exc).__name__}: {exc}")
        block = nodes.literal_block(text, f"$ python -m {command} --help\n{text}")
        block["language"] = "text"
        return [block]


def setup(app):
    app.add_directive("cli-help", CliHelp)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
