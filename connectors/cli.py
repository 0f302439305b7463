"""The ``connectors`` command.

    connectors run              -c config.yml     run the connector service (all services, one process)
    connectors ui               -c config.yml     serve the web UI
    connectors validate-config  -c config.yml     check the config file (and that every source imports)
    connectors sync             -c config.yml --connector-id ID [--job-type full]
                                                  create an on-demand job, run it here, wait for its end
    connectors connector create -c config.yml --id ID --service-type TYPE --index-name INDEX [--name N]
    connectors connector list   -c config.yml

A bad config file prints one line per problem and exits 2; a failure talking to Elasticsearch
prints one line and exits 1. Never a traceback for a user error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence

from connectors.errors import ConfigurationError, ConnectorError
from connectors.logger import configure_logging, remember_secrets

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
DEFAULT_CONFIG = "config.yml"


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", default=DEFAULT_CONFIG, help="path to config.yml (default: %(default)s)"
    )
    parser.add_argument("--log-level", default=None, help="override service.log_level (DEBUG, INFO, ...)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connectors",
        description="Self-hosted connector service keeping Elasticsearch in sync with Confluence.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser("run", help="run the connector service (scheduling, job execution, cleanup)")
    _add_config(run)

    ui = commands.add_parser("ui", help="serve the web UI for connectors")
    _add_config(ui)
    ui.add_argument("--host", default=None, help="address to listen on (default: ui.host from the config)")
    ui.add_argument(
        "--port", type=int, default=None, help="port to listen on (default: ui.port from the config)"
    )

    validate = commands.add_parser("validate-config", help="check a config file and report every problem")
    _add_config(validate)

    sync = commands.add_parser("sync", help="create an on-demand sync job for a connector, run it, and wait")
    _add_config(sync)
    sync.add_argument("--connector-id", required=True, help="id of the connector to sync")
    sync.add_argument(
        "--job-type", default="full", choices=["full", "incremental", "access_control"], help="kind of sync"
    )
    sync.add_argument("--timeout", type=float, default=None, help="give up waiting after this many seconds")

    connector = commands.add_parser("connector", help="create or list connector documents")
    connector_commands = connector.add_subparsers(dest="connector_command", metavar="ACTION")
    connector_commands.required = True
    create = connector_commands.add_parser("create", help="create a connector (PUT _connector/{id})")
    _add_config(create)
    create.add_argument("--id", dest="connector_id", required=True, help="connector id")
    create.add_argument("--service-type", required=True, help="service type, e.g. confluence")
    create.add_argument("--index-name", required=True, help="content index, e.g. search-confluence")
    create.add_argument("--name", default=None, help="display name (default: the id)")
    create.add_argument("--description", default=None)
    listing = connector_commands.add_parser("list", help="list connectors")
    _add_config(listing)
    return parser


def _load(args) -> dict:
    from connectors.config import load_config

    config = load_config(args.config)
    service = config.setdefault("service", {})
    if args.log_level:
        service["log_level"] = args.log_level.upper()
    configure_logging(service.get("log_level", "INFO"), json_lines=service.get("log_format") == "json")
    remember_secrets(config)  # the Elasticsearch password and API keys never appear in a log line
    return config


# -- commands ---------------------------------------------------------------------------------
def _load_checked(args) -> dict:
    """The configuration, with its sources and connectors checked: every problem at once."""
    from connectors.registry import config_problems

    config = _load(args)
    problems = config_problems(config)
    if problems:
        raise ConfigurationError(problems)
    return config


def cmd_run(args) -> int:
    config = _load_checked(args)  # first: a bad config is reported without importing the client
    from connectors.services import run_service

    return run_service(config)


def cmd_ui(args) -> int:
    config = _load(args)
    ui_config = config.get("ui") or {}
    host = args.host or ui_config.get("host", "127.0.0.1")
    port = args.port if args.port is not None else int(ui_config.get("port", 8090))
    from connectors.ui import run_ui

    run_ui(config, host, port)
    return EXIT_OK


def cmd_validate_config(args) -> int:
    config = _load_checked(args)
    connectors = config.get("connectors") or []
    print(
        f"{args.config}: configuration is valid ({len(connectors)} connector(s), sources: "
        f"{', '.join(sorted(config.get('sources') or {})) or 'none'})"
    )
    return EXIT_OK


async def _with_client(config: dict, work: Callable):
    from connectors.es.client import create_client

    client = create_client(config.get("elasticsearch") or {})
    try:
        return await work(client)
    finally:
        await client.close()


def cmd_connector_create(args) -> int:
    from connectors.protocol import ConnectorStore

    config = _load(args)

    async def work(client):
        await ConnectorStore(client).create(
            args.connector_id,
            index_name=args.index_name,
            service_type=args.service_type,
            name=args.name or args.connector_id,
            **({"description": args.description} if args.description else {}),
        )

    asyncio.run(_with_client(config, work))
    print(
        f"created connector {args.connector_id} (service type {args.service_type}, index {args.index_name})"
    )
    print("add it to config.yml under connectors: so the service runs it:")
    print(f"  - connector_id: {args.connector_id}\n    service_type: {args.service_type}")
    return EXIT_OK


def cmd_connector_list(args) -> int:
    from connectors.protocol import ConnectorStore

    config = _load(args)
    rows = asyncio.run(_with_client(config, lambda client: ConnectorStore(client).list()))
    if not rows:
        print("no connectors")
        return EXIT_OK
    print(f"{'ID':<24} {'SERVICE TYPE':<14} {'INDEX':<28} {'STATUS':<20} LAST SYNC")
    for row in rows:
        print(
            f"{row.get('id', ''):<24} {row.get('service_type') or '-':<14} {row.get('index_name') or '-':<28} "
            f"{row.get('status') or '-':<20} {row.get('last_sync_status') or '-'}"
        )
    return EXIT_OK


def cmd_sync(args) -> int:
    from connectors.services.oneshot import run_one_sync

    config = _load(args)
    job = asyncio.run(
        _with_client(
            config,
            lambda client: run_one_sync(config, client, args.connector_id, args.job_type, args.timeout),
        )
    )
    counts = ", ".join(
        f"{key}={job.source.get(key, 0)}"
        for key in ("indexed_document_count", "deleted_document_count", "total_document_count")
    )
    status = job.status.value if job.status else "unknown"
    print(f"job {job.id}: {status}; {counts}" + (f"; error: {job.error}" if job.error else ""))
    return EXIT_OK if status == "completed" else EXIT_FAILED


COMMANDS: dict[str, Callable] = {
    "run": cmd_run,
    "ui": cmd_ui,
    "validate-config": cmd_validate_config,
    "sync": cmd_sync,
    "connector create": cmd_connector_create,
    "connector list": cmd_connector_list,
}


def _describe_es_error(exc: Exception) -> str | None:
    try:
        from elasticsearch import ApiError, TransportError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, ApiError):
        return f"Elasticsearch refused the request: {exc.message} (HTTP {exc.meta.status})"
    if isinstance(exc, TransportError):
        from connectors.es.client import tls_failure

        return f"cannot reach Elasticsearch: {tls_failure(exc) or exc.message}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    key = args.command if args.command != "connector" else f"connector {args.connector_command}"
    try:
        return COMMANDS[key](args)
    except ConfigurationError as exc:
        for message in exc.messages:
            print(
                f"{args.config}: {message}" if not message.startswith(str(args.config)) else message,
                file=sys.stderr,
            )
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    except ConnectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:
        message = _describe_es_error(exc) or f"{type(exc).__name__}: {exc}"
        logging.getLogger("connectors.cli").debug("command failed", exc_info=True)
        print(f"error: {message}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
