"""The command line: openstats screen | import | load | load-demo | serve."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from openstats.errors import OpenstatsError
from openstats.settings import Settings

app = typer.Typer(help="openstats: publish official statistics as open data.",
                  no_args_is_help=True, add_completion=False)
err = Console(stderr=True)
out = Console()

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (default: $OPENSTATS_DATA_DIR or ./.openstats)"),
]


@app.callback()
def main_callback() -> None:
    """openstats: publish official statistics as open data."""


def settings_for(data_dir: Path | None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir else Settings()


@app.command()
def screen(
    data: Annotated[Path, typer.Argument(help="The data CSV")],
    meta: Annotated[Path, typer.Argument(help="The meta CSV (NAME.meta.csv)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Check a data file and its meta file against the open data standards.

    Exit status: 0 no errors, 1 errors found, 2 usage error.
    """
    from openstats.standards.screener import screen as run_screen

    settings = settings_for(data_dir)
    for path in (data, meta):
        if not path.is_file():
            err.print(f"{path}: file not found")
            raise typer.Exit(2)
    with run_screen(data, meta, reference_dir=settings.reference_dir,
                    memory_limit=settings.memory_limit) as s:
        report = s.report
        if as_json:
            sys.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            print_report(report, lookups_checked=s.lookups_checked)
    raise typer.Exit(0 if report.ok else 1)


def print_report(report: object, lookups_checked: bool = True) -> None:
    from openstats.standards.findings import Report

    assert isinstance(report, Report)
    for rule_id, findings in report.by_rule().items():
        first = findings[0]
        total = report.counts[rule_id]
        colour = "red" if first.severity == "error" else "yellow"
        out.print(f"[{colour}]{first.severity.upper()}[/] {rule_id}: {total} found", highlight=False)
        for f in findings:
            out.print(f"  {f.location()}: {f.message}", highlight=False, markup=False)
        if total > len(findings):
            out.print(f"  ... and {total - len(findings)} more", highlight=False)
        out.print(f"  What to do: {first.advice}", highlight=False, markup=False)
    if not lookups_checked:
        out.print("Note: geography lookups were not checked (set OPENSTATS_REFERENCE_DIR).")
    errors = sum(n for r, n in report.counts.items() if r and report.by_rule()[r][0].severity
                 == "error")
    warnings = sum(report.counts.values()) - errors
    verdict = "[green]passed[/]" if report.ok else "[red]failed[/]"
    out.print(f"{report.data_file} + {report.meta_file}: {verdict}, {report.row_count or 0} rows, "
              f"{errors} errors, {warnings} warnings")


def main() -> None:
    try:
        app()
    except OpenstatsError as e:
        err.print(str(e), markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
