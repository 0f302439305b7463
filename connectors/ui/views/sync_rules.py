"""Sync rules: active rules, the draft editor, save-and-validate and activation."""

from __future__ import annotations

import json

from aiohttp import web
from elasticsearch import BadRequestError

from connectors.es import errors as es_errors
from connectors.filtering.basic_rules import DEFAULT_RULE_ID
from connectors.filtering.drafts import domain_entry, draft_differs, draft_snippet
from connectors.protocol import ConnectorDoc, FilteringValidationState
from connectors.ui.context import connectors_of
from connectors.ui.render import flash, render
from connectors.ui.sync_rules import POLICIES, RULES, parse_advanced_snippet, parse_basic_rules, rule_labels
from connectors.ui.views.common import load_connector

# draft states in which the service still has work to do (validate, then activate)
PENDING_DRAFT_STATES = (FilteringValidationState.EDITED.value, FilteringValidationState.VALID.value)


def _snippet_text(snippet: dict | None) -> str:
    value = (snippet or {}).get("value")
    if value in (None, {}, []):
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False)


def _errors(draft: dict) -> list[dict]:
    labels = rule_labels(draft.get("rules") or [])
    result = []
    for error in (draft.get("validation") or {}).get("errors") or []:
        ids = error.get("ids") or []
        result.append(
            {
                "rules": [
                    labels.get(
                        i, "Advanced rules" if str(i).lower() in ("advanced", "advanced_snippet") else str(i)
                    )
                    for i in ids
                ],
                "messages": [str(m) for m in error.get("messages") or []],
            }
        )
    return result


def _context(connector: ConnectorDoc) -> dict:
    filtering = domain_entry(connector.filtering)
    active, draft = filtering.get("active") or {}, filtering.get("draft") or {}
    return {
        "connector": connector.view(),
        "tab": "sync_rules",
        "active": active,
        "draft": draft,
        "active_snippet": _snippet_text(active.get("advanced_snippet")),
        "draft_snippet": _snippet_text(draft.get("advanced_snippet")),
        "has_draft": draft_differs(filtering),
        "draft_state": (draft.get("validation") or {}).get("state") or FilteringValidationState.VALID.value,
        "draft_errors": _errors(draft),
        "basic_enabled": connector.feature_enabled("sync_rules", "basic") or not connector.features,
        "advanced_enabled": connector.feature_enabled("sync_rules", "advanced") or not connector.features,
        "policies": POLICIES,
        "rule_kinds": RULES,
        "DEFAULT_RULE_ID": DEFAULT_RULE_ID,
    }


async def sync_rules_page(request: web.Request) -> web.Response:
    context = _context(await load_connector(request))
    # The service validates an edited draft, then activates a valid one: watch until it is done.
    waiting = context["has_draft"] and context["draft_state"] in PENDING_DRAFT_STATES
    watch = "draft_state,has_draft" if waiting else ""
    return render(request, "sync_rules.html", watch=watch, **context)


async def edit_page(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    context = _context(connector)
    rows = [r for r in context["draft"].get("rules") or [] if r.get("id") != DEFAULT_RULE_ID]
    return render(
        request,
        "sync_rules_edit.html",
        rows=rows,
        row_errors={},
        snippet_text=context["draft_snippet"],
        snippet_error=None,
        error=None,
        **context,
    )


def _posted_rows(form) -> list[dict[str, str]]:
    columns = {name: form.getall(f"rule_{name}", []) for name in ("id", "policy", "field", "rule", "value")}
    count = max((len(v) for v in columns.values()), default=0)
    rows = []
    for index in range(count):
        row = {name: str(values[index]) if index < len(values) else "" for name, values in columns.items()}
        if row["id"] or any(row[name].strip() for name in ("field", "value")):
            rows.append(row)
    return rows


async def save_draft(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    context = _context(connector)
    form = await request.post()
    rows = _posted_rows(form)
    rules, rule_errors = parse_basic_rules(rows, context["draft"].get("rules") or [])
    snippet_text = str(form.get("advanced_snippet", ""))
    snippet, snippet_error = parse_advanced_snippet(snippet_text)
    if rule_errors or snippet_error:
        row_errors: dict[int, list[str]] = {}
        for problem in rule_errors:
            row_errors.setdefault(problem.row, []).append(problem.message)
        shown = [dict(r, id=r.get("id", "")) for r in rows]
        return render(
            request,
            "sync_rules_edit.html",
            status=400,
            rows=shown,
            row_errors=row_errors,
            snippet_text=snippet_text,
            snippet_error=snippet_error,
            error="The draft was not saved: fix the problems marked below.",
            **context,
        )
    advanced_snippet = draft_snippet(context["draft"].get("advanced_snippet"), snippet)
    try:
        await connectors_of(request).update_filtering_draft(connector.id, rules, advanced_snippet)
    except BadRequestError as exc:
        return render(
            request,
            "sync_rules_edit.html",
            status=400,
            rows=rows,
            row_errors={},
            snippet_text=snippet_text,
            snippet_error=None,
            error=es_errors.describe(exc),
            **context,
        )
    flash(request, "Draft saved. The connector service is validating it.")
    raise web.HTTPSeeOther(f"/connectors/{connector.id}/sync-rules")


async def activate(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    try:
        await connectors_of(request).activate_filtering(connector.id)
    except BadRequestError as exc:
        flash(request, f"The draft was not activated: {es_errors.describe(exc)}", "danger")
    else:
        flash(request, "Draft sync rules activated. They apply from the next sync.")
    raise web.HTTPSeeOther(f"/connectors/{connector.id}/sync-rules")


async def revert(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    active = domain_entry(connector.filtering).get("active") or {}
    await connectors_of(request).update_filtering_draft(
        connector.id, active.get("rules") or [], active.get("advanced_snippet") or {"value": {}}
    )
    flash(request, "The draft was reset to the active rules.")
    raise web.HTTPSeeOther(f"/connectors/{connector.id}/sync-rules")
