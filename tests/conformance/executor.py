"""Execute the ``do`` step of a YAML REST test through the official Python client.

The API name of a ``do`` (``indices.create``, ``connector.sync_job_post``) names the client
method (``client.indices.create``); the client therefore decides the HTTP method and path, exactly
as it does for an application. Two things the client refuses on its own are still sent, the way
Elasticsearch's own runner sends them, by rewriting the request the client builds:

* an empty path part (``connector_id: ""``): the client raises before sending, so the call is made
  with a placeholder that is removed from the path again (``/_connector//_error``);
* a parameter the method does not know: it is sent as a query parameter (unless the test expects
  ``catch: param``, the client-side refusal).
"""

from __future__ import annotations

import contextvars
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from elasticsearch import ApiError, AsyncElasticsearch

from .assertions import AssertionFailure, Stash, is_regex, regex_matches

EMPTY_PART = "EMPTY-PATH-PART-7f3a9c"
_DO_OPTIONS = {
    "catch",
    "headers",
    "warnings",
    "allowed_warnings",
    "warnings_regex",
    "allowed_warnings_regex",
    "ignore",
    "node_selector",
}
CATCH_STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "missing": 404,
    "request_timeout": 408,
    "conflict": 409,
    "unavailable": 503,
}
_WARNING = re.compile(r'\d{3} [^ ]+ "((?:[^"\\]|\\.)*)"')

# REST spec entries (method, path template) of APIs the Python client does not expose: the
# internal connector-secret APIs (x-pack/plugin/ent-search rest-api-spec, "connector.secret_*").
EXTRA_SPEC = {
    "connector.secret_post": ("POST", "/_connector/_secret"),
    "connector.secret_get": ("GET", "/_connector/_secret/{id}"),
    "connector.secret_put": ("PUT", "/_connector/_secret/{id}"),
    "connector.secret_delete": ("DELETE", "/_connector/_secret/{id}"),
}

Rewrite = Callable[[str, str, dict, dict, Any], tuple[str, str, dict, dict, Any]]
_rewrite: contextvars.ContextVar[Rewrite | None] = contextvars.ContextVar("yaml_rewrite", default=None)


class RunnerClient(AsyncElasticsearch):
    """The official async client, with a hook to adjust the request it is about to send."""

    async def perform_request(self, method, path, *, params=None, headers=None, body=None, **kwargs):
        rewrite = _rewrite.get()
        if rewrite is not None:
            method, path, params, headers, body = rewrite(
                method, path, dict(params or {}), dict(headers or {}), body
            )
        return await super().perform_request(
            method, path, params=params, headers=headers, body=body, **kwargs
        )


@dataclass
class Response:
    status: int
    body: Any
    warnings: list[str]


class StepError(AssertionError):
    """A ``do`` step failed in a way the test did not expect."""


def _spec_method(client: AsyncElasticsearch, api: str):
    """A client-like method for an API described in EXTRA_SPEC (sent with perform_request)."""
    http_method, template = EXTRA_SPEC[api]
    parts = re.findall(r"\{(\w+)\}", template)

    async def call(body: Any = None, **params: Any):
        path = template
        for part in parts:
            if part not in params:
                raise TypeError(f"{api}: missing path part {part!r}")
            value = str(params.pop(part))
            if value == "":
                raise ValueError(f"Empty value passed for parameter {part!r}")
            path = path.replace("{" + part + "}", quote(value, safe=""))
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
        query = {k: _query_value(v) for k, v in params.items()}
        return await client.perform_request(
            http_method, path, params=query or None, headers=headers, body=body, endpoint_id=api
        )

    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY) for p in [*parts, "body"]]
    )
    return call


def _api_method(client: AsyncElasticsearch, api: str):
    if api in EXTRA_SPEC:
        return _spec_method(client, api)
    target: Any = client
    for part in api.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise StepError(f"API {api!r} is not served by the Python client (no client.{api})")
    return target


def _warnings_of(headers: Any) -> list[str]:
    if headers is None:
        return []
    values = []
    getall = getattr(headers, "getall", None)
    raw = getall("warning", []) if getall else [headers.get("warning")] if headers.get("warning") else []
    for value in raw:
        values.extend(m.group(1).replace('\\"', '"') for m in _WARNING.finditer(value))
    return values


def _split_args(method, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(keyword arguments the client method takes, leftover query parameters)."""
    accepted = inspect.signature(method).parameters
    known, extra = {}, {}
    for key, value in args.items():
        name = "from_" if key == "from" else key
        if name in accepted:
            known[name] = value
        else:
            extra[key] = value
    return known, extra


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_query_value(v) for v in value)
    return str(value)


_EMPTY = re.compile(r"Empty value passed for parameter '(\w+)'")
_TWICE = re.compile(r"Received multiple values for '(\w+)'")


async def _send(method, api: str, known: dict, extra: dict, *, refuse_ok: bool = False) -> Response:
    """Call the client method; send what the client refuses (empty path parts, duplicates) anyway."""
    known, extra = dict(known), dict(extra)
    empties: set[str] = set()

    def rewrite(http_method, path, params, headers, body):
        if empties:
            path = path.replace(EMPTY_PART, "")
        for key, value in extra.items():
            params[key] = _query_value(value)
        return http_method, path, params, headers, body

    for _ in range(8):
        token = _rewrite.set(rewrite)
        try:
            result = await method(**known)
        except ApiError as exc:
            return Response(exc.meta.status, exc.body, _warnings_of(exc.meta.headers))
        except (TypeError, ValueError) as exc:
            text = str(exc)
            empty, twice = _EMPTY.search(text), _TWICE.search(text)
            if empty and known.get(empty.group(1)) == "" and empty.group(1) not in empties:
                empties.add(empty.group(1))
                known[empty.group(1)] = EMPTY_PART
                continue
            if twice and twice.group(1) in known:
                extra[twice.group(1)] = known.pop(twice.group(1))
                continue
            if refuse_ok:
                return Response(0, {"client_error": text}, [])
            raise StepError(f"do {api}: the Python client refused the call: {exc}") from exc
        finally:
            _rewrite.reset(token)
        if isinstance(result, bool):  # ping(): the client turns the status into a boolean
            return Response(200 if result else 404, result, [])
        return Response(result.meta.status, result.body, _warnings_of(result.meta.headers))
    raise StepError(f"do {api}: could not build the request")


async def run_do(client: AsyncElasticsearch, spec: dict[str, Any], stash: Stash) -> Response:
    """Run one ``do`` step; return the response the following assertions apply to."""
    spec = dict(spec)
    catch = spec.get("catch")
    apis = [key for key in spec if key not in _DO_OPTIONS]
    if len(apis) != 1:
        raise StepError(f"do: expected exactly one API call, got {apis}")
    api = apis[0]
    args = stash.resolve(spec[api] or {})
    if not isinstance(args, dict):
        raise StepError(f"do {api}: arguments must be a map, got {args!r}")
    args = dict(args)
    ignore = spec.get("ignore", args.pop("ignore", None))  # also accepted among the API's params
    method = _api_method(client, api)
    known, extra = _split_args(method, args)
    if extra and catch == "param":
        return Response(status=0, body={"param": sorted(extra)}, warnings=[])

    options: dict[str, Any] = {}
    if spec.get("headers"):
        options["headers"] = {str(k): str(v) for k, v in stash.resolve(spec["headers"]).items()}
    if ignore is not None:
        options["ignore_status"] = [int(s) for s in (ignore if isinstance(ignore, list) else [ignore])]
    bound = client.options(**options) if options else client
    response = await _send(_api_method(bound, api), api, known, extra, refuse_ok=catch == "param")
    if catch == "param":
        if response.status in (0, 400):
            return response  # refused by the client, or by the server as a bad request
        raise StepError(f"do {api}: expected the call to be refused as invalid, got status {response.status}")

    stash.raw_body = response.body if isinstance(response.body, str) else json.dumps(response.body)
    ignored = options.get("ignore_status", [])
    if catch is None and response.status >= 400 and response.status in ignored:
        return response
    _check_catch(api, catch, response)
    _check_warnings(api, spec, response)
    return response


def _check_catch(api: str, catch: Any, response: Response) -> None:
    status = response.status
    if catch is None:
        if status == 404 and isinstance(response.body, bool):
            return  # HEAD-style APIs (exists, indices.exists) answer false
        if status >= 400:
            raise StepError(f"do {api}: unexpected error status {status}: {_short(response.body)}")
        return
    if catch in CATCH_STATUS:
        if status != CATCH_STATUS[catch]:
            raise StepError(
                f"do {api}: expected catch {catch} ({CATCH_STATUS[catch]}), got status {status}: "
                f"{_short(response.body)}"
            )
    elif catch == "request":
        if status < 400 or status in (400, 401, 403, 404, 408, 409):
            raise StepError(f"do {api}: expected catch request (other 4xx/5xx), got status {status}")
    elif is_regex(catch):
        body = response.body
        error = body.get("error", body) if isinstance(body, dict) else body
        text = error if isinstance(error, str) else java_text(error)
        if status < 400 or not regex_matches(catch, text, verbose=False):
            raise StepError(
                f"do {api}: expected an error matching {catch}, got status {status}: {_short(response.body)}"
            )
    else:
        raise StepError(f"do {api}: unknown catch {catch!r}")


def java_text(value: Any) -> str:
    """The text Elasticsearch's runner matches ``catch`` regexes against: the ``error`` object as
    Java prints a map (``{type=..., reason=...}``), strings unescaped."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_text(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_warnings(api: str, spec: dict[str, Any], response: Response) -> None:
    expected = list(spec.get("warnings") or [])
    allowed = list(spec.get("allowed_warnings") or [])
    expected_rx = list(spec.get("warnings_regex") or [])
    allowed_rx = list(spec.get("allowed_warnings_regex") or [])
    actual = list(response.warnings)
    for message in expected:
        if message not in actual:
            raise AssertionFailure(f"do {api}: expected warning {message!r}, got {actual}")
    for pattern in expected_rx:
        if not any(re.search(pattern, w) for w in actual):
            raise AssertionFailure(f"do {api}: expected a warning matching {pattern!r}, got {actual}")
    unexpected = [
        w
        for w in actual
        if w not in expected
        and w not in allowed
        and not any(re.search(p, w) for p in expected_rx + allowed_rx)
    ]
    if unexpected:
        raise AssertionFailure(f"do {api}: unexpected warnings {unexpected}")


def _short(body: Any, limit: int = 400) -> str:
    text = body if isinstance(body, str) else json.dumps(body)
    return text if len(text) <= limit else text[:limit] + "..."
