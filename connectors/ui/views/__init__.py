"""Route table of the UI."""

from __future__ import annotations

from aiohttp import web

from connectors.ui.views import auth, configuration, connectors, content, jobs, scheduling, sync_rules

C = "/connectors/{connector_id}"


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", connectors.index)
    r.add_get("/login", auth.login_get)
    r.add_post("/login", auth.login_post)
    r.add_post("/logout", auth.logout)
    r.add_get("/connectors", connectors.list_connectors)
    r.add_get("/connectors/new", connectors.new_connector)
    r.add_post("/connectors", connectors.create_connector)
    r.add_get(C, connectors.overview)
    r.add_get(C + "/delete", connectors.delete_page)
    r.add_post(C + "/delete", connectors.delete_connector)
    r.add_get(C + "/configuration", configuration.configuration_page)
    r.add_post(C + "/configuration", configuration.save_configuration)
    r.add_get(C + "/scheduling", scheduling.scheduling_page)
    r.add_post(C + "/scheduling", scheduling.save_scheduling)
    r.add_get(C + "/sync-rules", sync_rules.sync_rules_page)
    r.add_get(C + "/sync-rules/edit", sync_rules.edit_page)
    r.add_post(C + "/sync-rules/edit", sync_rules.save_draft)
    r.add_post(C + "/sync-rules/activate", sync_rules.activate)
    r.add_post(C + "/sync-rules/revert", sync_rules.revert)
    r.add_post(C + "/sync", jobs.sync_now)
    r.add_get(C + "/jobs", jobs.jobs_page)
    r.add_get(C + "/jobs/{job_id}", jobs.job_page)
    r.add_get(C + "/jobs/{job_id}/live", jobs.job_live)
    r.add_post(C + "/jobs/{job_id}/cancel", jobs.cancel)
    r.add_get(C + "/content", content.content_page)
    r.add_get("/api" + C + "/state", connectors.connector_state)
    r.add_get("/api" + C + "/jobs/{job_id}", jobs.job_json)
    r.add_get("/api/cron", scheduling.cron_preview)
