"""The Typer application every command module registers itself on."""

import typer

app = typer.Typer(
    name="msc-mine",
    help=(
        "Turn the PubMed literature on mesenchymal stem cell (MSC) therapy into a screened, "
        "auditable evidence table: search and fetch PubMed, import exports, extract route, "
        "cell source, dose and adverse events with evidence, screen by a review's rules, "
        "write the table, funnel and PRISMA diagram, export for meta-analysis, pool adverse-event "
        "rates, and keep the review current with scheduled refreshes. Start with "
        "`msc-mine review --help`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
