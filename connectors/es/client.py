"""Build the official ``AsyncElasticsearch`` client from the ``elasticsearch`` config section.

The transport makes one attempt per request, bounded by ``elasticsearch.request_timeout``: it
never retries a status (429/5xx) and, unless ``elasticsearch.retry_on_timeout`` is set, never a
timeout; ``elasticsearch.max_retries`` (default 0) only fails a request over to another host at
once after a connection error. Waiting out an Elasticsearch that does not answer is the job of
:mod:`connectors.es.outage` (one retry layer per failure kind; see its docstring).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from typing import Any

from elasticsearch import AsyncElasticsearch, AuthenticationException, AuthorizationException
from elasticsearch import SSLError as TlsError  # elastic_transport.TlsError

from connectors.config_validation import path_problem, url_problem
from connectors.errors import ConfigurationError, ElasticsearchUnavailable
from connectors.utils import backoff_delay

USER_AGENT = "confluence-connectors-python"
#: The client computes a warning's stack level for every call of a beta API (all Connector APIs)
#: by walking the whole call stack with ``inspect.stack()``: about 2 ms of CPU per call, on every
#: heartbeat and scheduling pass. This variable (read by the client) turns that walk off; the
#: warnings themselves are unchanged, they only point at the client instead of the caller.
STACKLEVEL_ENV = "DISABLE_WARN_STACKLEVEL"
DEFAULT_REQUEST_TIMEOUT = 60.0  # seconds; a frozen Elasticsearch is noticed after this long


def response_body(response: Any) -> Any:
    """The body of an API response (``ObjectApiResponse.body``); a plain dict passes through."""
    return getattr(response, "body", response)


def client_options(section: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``AsyncElasticsearch`` from a (defaulted) ``elasticsearch`` section."""
    host = section.get("host") or "http://localhost:9200"
    hosts = list(host) if isinstance(host, list | tuple) else [host]
    problems = [
        f"elasticsearch.host: {problem}" for h in hosts if (problem := url_problem(str(h))) is not None
    ]
    if section.get("ca_certs") and (problem := path_problem(str(section["ca_certs"]))) is not None:
        problems.append(f"elasticsearch.ca_certs: {problem}")
    if problems:  # load_config reports these first; this guards a section built by other code
        raise ConfigurationError(problems)
    options: dict[str, Any] = {
        "hosts": [str(h).rstrip("/") for h in hosts],
        "request_timeout": float(section.get("request_timeout", DEFAULT_REQUEST_TIMEOUT)),
        "max_retries": int(section.get("max_retries", 0)),
        "retry_on_timeout": bool(section.get("retry_on_timeout", False)),
        "retry_on_status": (),  # statuses are retried by connectors.es.outage, with backoff
        "headers": {"user-agent": USER_AGENT},
    }
    api_key = section.get("api_key")
    username, password = section.get("username"), section.get("password")
    if api_key:
        options["api_key"] = api_key
    elif username:
        if password is None:
            raise ConfigurationError("elasticsearch.password: required when elasticsearch.username is set")
        options["basic_auth"] = (username, password)
    if any(str(h).startswith("https") for h in options["hosts"]):
        options["verify_certs"] = bool(section.get("verify_certs", True))
        if section.get("ca_certs"):
            options["ca_certs"] = section["ca_certs"]
        if not options["verify_certs"]:
            options["ssl_show_warn"] = False
    return options


def tls_failure(exc: BaseException, has_ca: bool | None = None) -> str | None:
    """The actionable message for a certificate that did not verify, or ``None`` for other errors.

    Retrying cannot fix a certificate: callers fail at once with this text. ``has_ca``: whether
    ``elasticsearch.ca_certs`` is set (``None``: not known).
    """
    text = f"{getattr(exc, 'message', '')} {exc!r}"  # str(TlsError) is only "TLS error"
    if "CERTIFICATE_VERIFY_FAILED" not in text and "certificate verify failed" not in text:
        return None
    reason = "certificate verify failed"
    if "certificate verify failed: " in text:  # "...: self-signed certificate (_ssl.c:1006)"
        detail = text.split("certificate verify failed: ", 1)[1].split(" (_ssl")[0].split("'")[0]
        reason += f" ({detail.strip()})"
    hints = {
        False: "add the CA with elasticsearch.ca_certs",
        True: "the CA in elasticsearch.ca_certs is not the one that signed the server's certificate",
        None: "set elasticsearch.ca_certs to the CA that signed the server's certificate",
    }
    return f"{reason}: {hints[has_ca]}"


def create_client(section: Mapping[str, Any], **overrides: Any) -> AsyncElasticsearch:
    """The async client for ``config["elasticsearch"]`` (``overrides`` win, e.g. for tests)."""
    options = client_options(section)
    options.update(overrides)
    os.environ.setdefault(STACKLEVEL_ENV, "1")  # an explicit setting wins
    return AsyncElasticsearch(**options)


async def wait_for_es(
    client: AsyncElasticsearch,
    timeout: float = 60.0,  # noqa: ASYNC109 - the documented signature wait_for_es(client, timeout)
    *,
    retry_interval: float = 1.0,
    logger=None,
) -> dict[str, Any]:
    """Wait until Elasticsearch answers ``GET /``; return its info.

    Retries with exponential backoff (``retry_interval`` base, capped at 10 s) until ``timeout``
    seconds have passed, then raises :class:`ElasticsearchUnavailable` naming the last error.
    Wrong credentials and a certificate that does not verify fail at once (retrying cannot fix
    them; the TLS message says to add the CA with ``elasticsearch.ca_certs``).
    """
    deadline = time.monotonic() + timeout
    attempt = 0
    last_error = "no answer"
    while True:
        try:
            return dict((await client.options(request_timeout=max(1.0, min(10.0, timeout))).info()).body)
        except (AuthenticationException, AuthorizationException) as exc:
            raise ElasticsearchUnavailable(
                f"Elasticsearch refused the credentials ({exc.meta.status})"
            ) from None
        except TlsError as exc:  # a certificate that does not verify will not start to
            nodes = client.transport.node_pool.all()
            message = tls_failure(exc, any(node.config.ca_certs for node in nodes))
            if message is not None:
                hosts = ", ".join(str(node.base_url) for node in nodes)
                raise ElasticsearchUnavailable(f"Elasticsearch at {hosts}: {message}") from None
            last_error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # connection refused, timeouts, 5xx: keep trying until the deadline
            last_error = f"{type(exc).__name__}: {exc}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            hosts = ", ".join(str(node.base_url) for node in client.transport.node_pool.all())
            raise ElasticsearchUnavailable(
                f"Elasticsearch at {hosts} did not answer within {timeout:g}s (last error: {last_error})"
            )
        delay = min(backoff_delay(attempt, retry_interval, cap=10.0), remaining)
        if logger is not None:
            logger.warning(f"Elasticsearch not reachable yet ({last_error}); retrying in {delay:.1f}s")
        attempt += 1
        await asyncio.sleep(delay)
