"""`python -m screening cds serve`: the CDS Hooks service on this machine."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from screening.catalogue import N_, _, active_language
from screening.cli.shared import file_option, lang_option, rules_option
from screening.fhir.commands import base_option
from screening.pack.loader import load_pack
from screening.pack.record_map import load_record_map
from screening.text import printable

if TYPE_CHECKING:
    from screening.cds.config import ServiceConfig

LOOPBACK = ("127.0.0.1", "::1", "localhost")

NO_JWT_WARNING = N_(
    "WARNING: --insecure-no-jwt: the JWT check is OFF. Any program on this machine can call "
    "the service without credentials. For development on loopback only; never in a clinic."
)


def _asked_language(ctx: click.Context | None) -> str | None:
    """The language `--lang` named, when it was given to the command or a group above it (the
    command speaks it already); None when it was not, so that the service keeps its
    configuration's `language`."""
    while ctx is not None:
        if ctx.get_parameter_source("lang") not in (None, ParameterSource.DEFAULT):
            return active_language()
        ctx = ctx.parent
    return None


def _service_config(config_file: Path | None, insecure_no_jwt: bool) -> ServiceConfig:
    """The service's settings: the file's (or the defaults), in the language of `--lang` when
    it was given, with the development switch; warned about when it lets anyone in, or no one."""
    from screening.cds.config import ServiceConfig, load_config  # noqa: PLC0415

    config = load_config(config_file) if config_file is not None else ServiceConfig()
    language = _asked_language(click.get_current_context())
    if language is not None:
        config = dataclasses.replace(config, language=language)
    if insecure_no_jwt:
        config = dataclasses.replace(config, jwt_off=True)
        click.echo(_(NO_JWT_WARNING), err=True)
    elif not config.issuers:
        click.echo(
            _("Warning: no issuers configured (--config): every call will be refused with 401."),
            err=True,
        )
    return config


@click.group()
@lang_option
def cds() -> None:
    """CDS Hooks: the discussion checklist as cards in an EHR."""


@cds.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; put the service behind TLS (--ssl-*) when not on loopback.",
)
@click.option(
    "--port",
    default=8090,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@file_option(
    "--config",
    "config_file",
    "JSON settings: trusted issuers and their JWK Sets, audience, hosts, CORS origins.",
)
@click.option(
    "--insecure-no-jwt",
    is_flag=True,
    help="Development only: switch the JWT check off; refused unless --host is loopback.",
)
@file_option("--ssl-certfile", "ssl_certfile", "TLS cert.")
@file_option("--ssl-keyfile", "ssl_keyfile", "TLS key.")
@rules_option
@base_option
@lang_option
def serve(
    *,
    host: str,
    port: int,
    config_file: Path | None,
    insecure_no_jwt: bool,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
    rules_dir: Path,
    base: str,
) -> None:
    """Serve the CDS Hooks service until Ctrl+C; it stores nothing.

    Every call needs a JWT signed by an issuer named in --config. Its cards and refusals are
    in the language of --lang, else of --config's language setting.
    """
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    from screening.cds.server import MAX_CONNECTIONS, bounded_protocol  # noqa: PLC0415
    from screening.cds.service import create_app  # noqa: PLC0415 - nor Starlette

    if insecure_no_jwt and host not in LOOPBACK:
        raise click.UsageError(_("--insecure-no-jwt is allowed on a loopback --host only"))
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise click.UsageError(_("--ssl-certfile and --ssl-keyfile go together"))
    config = _service_config(config_file, insecure_no_jwt)
    pack = load_pack(rules_dir)
    app = create_app(pack, base, config, load_record_map(rules_dir, pack))
    scheme = "https" if ssl_certfile else "http"
    address = f"{scheme}://{host}:{port}/cds-services"
    click.echo(
        printable(_("CDS Hooks discovery at {address} (Ctrl+C to stop)").format(address=address)),
        err=True,
    )
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            server_header=False,
            http=bounded_protocol(config.header_seconds),
            limit_concurrency=MAX_CONNECTIONS,
            ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
            ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        )
    except SystemExit as exc:  # uvicorn has said why (port in use, say); exit 1 like the rest
        if exc.code not in (0, None):
            sys.exit(1)
