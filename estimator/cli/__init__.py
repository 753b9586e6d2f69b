"""The ``estimator`` command: argument parsing and one place where errors become one line on stderr."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from estimator import logs
from estimator.cli.command_index import COMMANDS
from estimator.cli.common import Context, Parser
from estimator.core.errors import EstimatorError
from estimator.files import clean_staging, owner_only
from estimator.tables.shipped import default_catalog

#: Command groups register in this order (``--help`` lists them so); any other ``estimator/cli/*_commands.py``
#: module follows.
FIRST = ("pricing_commands", "tables_commands", "encounter_commands", "store_commands")
#: Top-level options that take a value (the command name is the first other word).
VALUE_OPTIONS = ("--db",)


def command_modules() -> list[str]:
    """Every ``*_commands`` module of this package: a new command group is one new file."""
    found = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_commands"))
    return [name for name in FIRST if name in found] + [name for name in found if name not in FIRST]


class VersionAction(argparse.Action):
    """``--version``: the package version and the newest tables, looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        try:
            releases = default_catalog().releases()
        except EstimatorError:
            releases = []
        from estimator import about  # noqa: PLC0415 - only --version needs it

        print(about.version_line(releases))
        parser.exit()


def build_parser(load: Iterable[str] | None = None) -> Parser:
    """The whole command line; only the command modules in ``load`` (None: all) are imported.

    Any other command is listed (for ``--help``) from ``COMMANDS`` by a placeholder that takes any arguments.
    """
    parser = Parser(prog="estimator", description="Reimbursement estimator for premalignant lesion destruction "
                    "(CPT 17000/17003/17004) and the services billed beside it.")
    parser.add_argument("--version", action=VersionAction, help="print the version and the fee-schedule tables")
    parser.add_argument("--db", help="practice database: a file, or postgresql://user@host/dbname for a shared "
                        "server (default: $ESTIMATOR_DB or the user data folder); a file that does not exist yet "
                        "needs --create")
    parser.add_argument("--create", action="store_true",
                        help="create the --db file when it does not exist (a mistyped path is refused otherwise)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    modules = command_modules()
    indexed = {module for module, _ in COMMANDS.values()}
    wanted = set(modules if load is None else load) | (set(modules) - indexed)
    registered: set[str] = set()
    for command, (module, text) in COMMANDS.items():
        if module not in modules:
            continue
        if module not in wanted:
            placeholder = commands.add_parser(command, help=text, add_help=False)
            placeholder.add_argument("rest", nargs=argparse.REMAINDER)
        elif module not in registered:
            importlib.import_module(f"{__name__}.{module}").register(commands)
            registered.add(module)
    for module in modules:
        if module in wanted and module not in registered:
            importlib.import_module(f"{__name__}.{module}").register(commands)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The command word of an argument list (the first word that is neither an option nor its value)."""
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            if "=" not in word and len(name) > 2 and any(o.startswith(name) for o in VALUE_OPTIONS):
                next(words, None)
            continue
        return word
    return None


def discovered_commands() -> dict[str, tuple[str, str]]:
    """command -> (module, help) as the command modules register them (what ``COMMANDS`` must say)."""
    found: dict[str, tuple[str, str]] = {}
    for module in command_modules():
        sub = Parser(prog="estimator").add_subparsers(parser_class=Parser)
        importlib.import_module(f"{__name__}.{module}").register(sub)
        found.update({a.dest: (module, str(a.help)) for a in sub._choices_actions})
    return found


def write_index() -> None:
    """Rewrite ``command_index.py`` from the command modules (after adding or renaming a command)."""
    path = Path(__file__).with_name("command_index.py")
    text = path.read_text(encoding="utf-8")
    head = text[:text.index("    \"", text.index("COMMANDS"))]
    rows = "".join(f"    {json.dumps(name)}: ({json.dumps(module)}, {json.dumps(help_)}),\n"
                   for name, (module, help_) in discovered_commands().items())
    path.write_text(head + rows + "}\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a user error prints one line to stderr and exits 1, never a traceback.

    The whole run is ``owner_only()`` (umask 077): everything the command writes — the database and its
    side files, PDFs, exports — may hold patient data, so it is created readable by its owner alone.
    """
    with owner_only():
        return _main(argv)


def undecodable(argv: Sequence[str]) -> int | None:
    """The 1-based position of the first argument holding bytes that are not UTF-8 (or a NUL), else None.

    Python hands such bytes over as lone surrogates (PEP 383); they cannot be stored, printed or written
    to a document, so the command is refused up front rather than failing half-way.
    """
    for position, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return position
        if "\x00" in arg:  # a real command line cannot hold one; a caller in-process can
            return position
    return None


def _main(argv: Sequence[str] | None) -> int:
    clean_staging()
    argv = list(sys.argv[1:] if argv is None else argv)
    bad = undecodable(argv)
    if bad is not None:
        shown = argv[bad - 1].encode("utf-8", "replace").decode("utf-8")
        build_parser([]).error(f"argument {bad} ({shown[:40]!r}) is not valid text (bytes that are not UTF-8, "
                               "or a NUL); retype it, or rename the file")
    command = command_of(argv)
    # An unknown word may be a command the index does not list yet: then every module is loaded.
    load = [] if command is None else [COMMANDS[command][0]] if command in COMMANDS else None
    args = build_parser(load).parse_args(argv)
    if not hasattr(args, "run"):  # a placeholder was chosen (an unusual spelling): load every command
        args = build_parser().parse_args(argv)
    log_path = logs.setup_logging()
    ctx = Context(db=args.db, create=args.create)
    try:
        return int(args.run(args, ctx))
    except EstimatorError as exc:
        sys.stderr.write(f"estimator: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("estimator: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        sys.stderr.write(f"estimator: error: {exc.filename or ''}: {exc.strerror or exc}\n")
        return 1
    except Exception as exc:  # a bug: still one line, unless debugging
        if os.environ.get("ESTIMATOR_DEBUG"):
            raise
        logs.log_unexpected(f"estimator {args.command}", type(exc), exc, exc.__traceback__)
        where = f"; details are in {log_path}" if log_path else ""
        sys.stderr.write(f"estimator: internal error: {type(exc).__name__}: {exc} "
                         f"(set ESTIMATOR_DEBUG=1 for details and please report it{where})\n")
        return 70
    finally:
        ctx.report_skipped()
        ctx.close()
        logs.close_logging()


if __name__ == "__main__":
    raise SystemExit(main())
