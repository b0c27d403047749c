"""`python -m screening cds serve`: the CDS Hooks service on this machine."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from screening.cli_options import rules_option
from screening.fhir.commands import base_option
from screening.pack.loader import load_pack

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@click.group()
def cds() -> None:
    """CDS Hooks: the discussion checklist as cards in an EHR."""


@cds.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback exposes a service with no sign-in.",
)
@click.option(
    "--port",
    default=8090,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@rules_option
@base_option
def serve(host: str, port: int, rules_dir: Path, base: str) -> None:
    """Serve the CDS Hooks service until Ctrl+C; it reads prefetch only and stores nothing."""
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    from screening.cds.service import create_app  # noqa: PLC0415 - nor Starlette

    app = create_app(load_pack(rules_dir), base)
    if host not in LOOPBACK:
        click.echo(
            f"Warning: listening on {host}: the service has no sign-in of its own; put it "
            "behind the EHR's gateway.",
            err=True,
        )
    click.echo(
        f"CDS Hooks discovery at http://{host}:{port}/cds-services (Ctrl+C to stop)", err=True
    )
    try:
        uvicorn.run(
            app, host=host, port=port, log_level="warning", access_log=False, server_header=False
        )
    except SystemExit as exc:  # uvicorn has said why (port in use, say); exit 1 like the rest
        if exc.code not in (0, None):
            sys.exit(1)
