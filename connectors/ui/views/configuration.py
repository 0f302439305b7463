"""The configuration form: view, edit, checked save through ``PUT _connector/{id}/_configuration``."""

from __future__ import annotations

import json

from aiohttp import web
from elasticsearch import BadRequestError

from connectors.es import errors as es_errors
from connectors.protocol import ConnectorDoc, ConnectorStatus
from connectors.ui.config_form import build_form, check_submission, current_values
from connectors.ui.context import connectors_of
from connectors.ui.render import flash, render
from connectors.ui.views.common import load_connector

# before the first save the page opens in edit mode
UNCONFIGURED = (ConnectorStatus.CREATED, ConnectorStatus.NEEDS_CONFIGURATION)


def client_rules(form) -> str:
    """The rules the page's script checks before saving (no values: secrets stay here)."""
    rules = {}
    for f in form.fields:
        rules[f.key] = {
            "label": f.label,
            "type": f.type,
            "display": f.display,
            "required": f.required,
            "sensitive": f.sensitive,
            "has_value": f.has_value,
            "depends_on": f.depends_on,
            "validations": f.validations,
            "options": [str(o.get("value")) for o in f.options],
        }
    return json.dumps(rules)


def _render(request, connector, form, editing, status=200, error=None, submitted=None):
    return render(
        request,
        "configuration.html",
        status=status,
        connector=connector.view(),
        tab="configuration",
        form=form,
        editing=editing,
        error=error,
        rules_json=client_rules(form),
        submitted=submitted or {},
        watch="" if editing else "status,error,has_configuration",
    )


async def configuration_page(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    form = build_form(connector.configuration, connector.is_native, dls_feature=_dls(connector))
    editing = request.query.get("edit") == "1" or (connector.status in UNCONFIGURED and not form.is_empty)
    return _render(request, connector, form, editing and not form.is_empty)


async def save_configuration(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    configuration = connector.configuration
    posted = await request.post()
    fields = {key: posted.getall(key)[-1] for key in posted if key != "_csrf"}
    fields = {k: v for k, v in fields.items() if isinstance(v, str)}
    is_native = connector.is_native
    result = check_submission(configuration, fields, is_native, dls_feature=_dls(connector))
    if result.errors:
        values = dict((k, s.get("value")) for k, s in configuration.items() if isinstance(s, dict))
        values.update(result.values)
        form = build_form(
            configuration,
            is_native,
            values=_for_visibility(configuration, values),
            dls_feature=_dls(connector),
        )
        for f in form.fields:
            f.error = result.errors.get(f.key)
            if f.key in result.form_values:
                f.edit_value = result.form_values[f.key]
        count = len(result.errors)
        return _render(
            request,
            connector,
            form,
            True,
            status=400,
            error=f"{count} field{'s' if count != 1 else ''} need{'' if count != 1 else 's'} attention. "
            "Nothing was saved.",
        )
    if result.values:
        try:
            await connectors_of(request).update_configuration(connector.id, result.values)
        except BadRequestError as exc:
            form = build_form(configuration, is_native, dls_feature=_dls(connector))
            return _render(request, connector, form, True, status=400, error=es_errors.describe(exc))
    flash(request, "Configuration saved. The connector service checks it on its next check-in.")
    raise web.HTTPSeeOther(f"/connectors/{connector.id}/configuration")


def _dls(connector: ConnectorDoc) -> bool:
    return connector.feature_enabled("document_level_security")


def _for_visibility(configuration: dict, values: dict) -> dict:
    merged = current_values(configuration)
    merged.update({k: v for k, v in values.items() if v not in (None, "")})
    return merged
