"""Run one YAML REST test: evaluate its gates, then setup, the steps, and teardown.

Gates (``skip`` and ``requires`` steps, and a clients-tests file's ``requires: {stack, serverless}``)
are decided before anything is sent, except ``capabilities`` which asks the server
(``GET /_capabilities``). A test whose gate says "not for this deployment" raises
:class:`GateSkip` with the reason written in the test file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch

from .assertions import MISSING, AssertionFailure, Stash, check, lookup
from .executor import Response, StepError, run_do
from .yaml_suite import YamlTest

# Runner features (``skip.features`` / ``requires.test_runner_features``) this runner implements.
RUNNER_FEATURES = frozenset(
    {
        "headers",
        "warnings",
        "warnings_regex",
        "allowed_warnings",
        "allowed_warnings_regex",
        "contains",
        "close_to",
        "is_after",
        "stash_in_path",
        "stash_in_key",
        "embedded_stash_key",
        "catch_unauthorized",
        "default_shards",
        "capabilities",
        "exists",
    }
)
_ASSERTIONS = {"match", "length", "is_true", "is_false", "gt", "gte", "lt", "lte", "contains", "exists"}
_ASSERTIONS |= {"not_exists", "close_to", "is_after"}


class GateSkip(Exception):
    """The test does not apply to this deployment or runner; the message is the reason."""


@dataclass(frozen=True)
class Deployment:
    """What the server under test claims to be."""

    version: tuple[int, int, int]
    serverless: bool = False
    cluster_features: frozenset[str] = field(default_factory=frozenset)


def parse_version(text: str) -> tuple[int, int, int]:
    numbers = [int(n) for n in re.findall(r"\d+", text.split("-")[0])[:3]]
    while len(numbers) < 3:
        numbers.append(0)
    return numbers[0], numbers[1], numbers[2]


def version_in_ranges(version: tuple[int, int, int], ranges: str) -> bool:
    """``ranges`` is ``all`` or comma-separated ``low - high`` ranges with either end open."""
    text = str(ranges).strip()
    if text == "all":
        return True
    for one in text.split(","):
        if "-" not in one:
            raise AssertionFailure(f"skip.version: cannot read range {one!r}")
        low_text, _, high_text = (part.strip() for part in one.strip().partition("-"))
        low = parse_version(low_text) if low_text else (0, 0, 0)
        high = parse_version(high_text) if high_text else (10**6, 0, 0)
        if low <= version <= high:
            return True
    return False


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _has_cluster_feature(deployment: Deployment, feature: str) -> bool:
    match = re.fullmatch(r"gte_v(\d+\.\d+\.\d+)", feature)
    if match:
        return deployment.version >= parse_version(match.group(1))
    return feature in deployment.cluster_features


def _gate(step_kind: str, spec: dict[str, Any], deployment: Deployment) -> list[dict]:
    """Raise GateSkip if this skip/requires step excludes the test; return capability checks."""
    reason = spec.get("reason", "no reason given")
    if step_kind == "skip":
        if "awaits_fix" in spec:
            raise GateSkip(f"awaits fix: {spec['awaits_fix']}")
        if "version" in spec and version_in_ranges(deployment.version, spec["version"]):
            raise GateSkip(f"skip for version {spec['version']}: {reason}")
        missing = [f for f in _as_list(spec.get("features")) if f not in RUNNER_FEATURES]
        if missing:
            raise GateSkip(f"runner lacks features {missing}")
        present = [f for f in _as_list(spec.get("cluster_features")) if _has_cluster_feature(deployment, f)]
        if present:
            raise GateSkip(f"skip when cluster has {present}: {reason}")
        return []
    missing_features = [f for f in _as_list(spec.get("test_runner_features")) if f not in RUNNER_FEATURES]
    if missing_features:
        raise GateSkip(f"runner lacks features {missing_features}")
    absent = [f for f in _as_list(spec.get("cluster_features")) if not _has_cluster_feature(deployment, f)]
    if absent:
        raise GateSkip(f"requires cluster features {absent}: {reason}")
    return _as_list(spec.get("capabilities"))


def check_static_gates(test: YamlTest, deployment: Deployment) -> list[dict]:
    """Raise GateSkip if a gate excludes the test; return the capabilities still to ask for."""
    requires = test.file_requires
    if requires.get("feature_flag"):
        raise GateSkip(
            f"file needs the feature flag {requires['feature_flag']!r}, which the stand-in does not have"
        )
    if requires:
        wanted = "serverless" if deployment.serverless else "stack"
        if requires.get(wanted) is False:
            other = "stack" if deployment.serverless else "serverless"
            raise GateSkip(f"file targets {other} only; the stand-in is a {wanted} deployment")
    capabilities: list[dict] = []
    for step in [*test.setup, *test.steps]:
        for kind in ("skip", "requires"):
            if kind in step:
                capabilities.extend(_gate(kind, step[kind] or {}, deployment))
    return capabilities


async def check_capabilities(client: AsyncElasticsearch, capabilities: list[dict]) -> None:
    for capability in capabilities:
        params = {
            "method": capability.get("method", "GET"),
            "path": capability.get("path", "/"),
        }
        if capability.get("parameters"):
            params["parameters"] = ",".join(_as_list(capability["parameters"]))
        if capability.get("capabilities"):
            params["capabilities"] = ",".join(_as_list(capability["capabilities"]))
        try:
            response = await client.perform_request(
                "GET", "/_capabilities", params=params, headers={"accept": "application/json"}
            )
            supported = response.body.get("supported") if isinstance(response.body, dict) else None
        except ApiError:
            supported = None
        if supported is not True:
            raise GateSkip(f"server does not declare capability {params}")


async def _run_steps(client: AsyncElasticsearch, steps: list[dict], stash: Stash, where: str) -> None:
    last: Response | None = None
    for number, step in enumerate(steps, 1):
        if len(step) != 1:
            raise AssertionFailure(f"{where} step {number}: expected one key, got {sorted(step)}")
        kind, spec = next(iter(step.items()))
        try:
            if kind in ("skip", "requires"):
                continue
            if kind == "do":
                last = await run_do(client, spec, stash)
            elif kind == "set":
                for path, name in (spec or {}).items():
                    value = lookup(last.body if last else None, str(path), stash)
                    if value is MISSING:
                        raise AssertionFailure(f"set {name!r}: the last response has no value at {path!r}")
                    stash.set(str(name), value)
            elif kind in _ASSERTIONS:
                check(kind, spec, last.body if last else None, stash)
            else:
                raise AssertionFailure(f"unknown step type {kind!r}")
        except (AssertionFailure, StepError) as exc:
            raise AssertionFailure(f"{where} step {number} ({kind}): {exc}") from None


async def run_test(client: AsyncElasticsearch, test: YamlTest) -> None:
    """Run setup, the test's steps and teardown (teardown runs even when the test failed)."""
    stash = Stash()
    failure: BaseException | None = None
    try:
        await _run_steps(client, test.setup, stash, "setup")
        await _run_steps(client, test.steps, stash, "test")
    except BaseException as exc:  # re-raised below, after teardown
        failure = exc
    try:
        await _run_steps(client, test.teardown, stash, "teardown")
    except AssertionFailure:
        if failure is None:
            raise
    if failure is not None:
        raise failure
