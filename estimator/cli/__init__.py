"""The ``estimator`` command: argument parsing and one place where errors become one line on stderr."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from estimator import __version__
from estimator.cli.common import Context, Parser
from estimator.core.errors import EstimatorError
from estimator.files import clean_staging, owner_only

#: Command groups register in this order; any other ``estimator/cli/*_commands.py`` module follows.
FIRST = ("pricing_commands", "encounter_commands", "store_commands")


def command_modules() -> list[str]:
    """Every ``*_commands`` module of this package: a new command group is one new file."""
    found = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_commands"))
    return [name for name in FIRST if name in found] + [name for name in found if name not in FIRST]


def build_parser() -> Parser:
    parser = Parser(prog="estimator", description="Reimbursement estimator for premalignant lesion destruction "
                    "(CPT 17000/17003/17004) and the services billed beside it.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--db", help="practice database file (default: $ESTIMATOR_DB or the user data folder)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name in command_modules():
        importlib.import_module(f"{__name__}.{name}").register(commands)
    return parser


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
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    bad = undecodable(argv)
    if bad is not None:
        shown = argv[bad - 1].encode("utf-8", "replace").decode("utf-8")
        parser.error(f"argument {bad} ({shown[:40]!r}) is not valid text (bytes that are not UTF-8, or a NUL); "
                     "retype it, or rename the file")
    args = parser.parse_args(argv)
    ctx = Context(db=args.db)
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
        sys.stderr.write(f"estimator: internal error: {type(exc).__name__}: {exc} "
                         "(set ESTIMATOR_DEBUG=1 for details and please report it)\n")
        return 70
    finally:
        ctx.report_skipped()
        ctx.close()


if __name__ == "__main__":
    raise SystemExit(main())
