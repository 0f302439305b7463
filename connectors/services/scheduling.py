"""The scheduling service: per configured connector, every ``service.idling`` seconds,

* check in (``last_seen``) every ``service.heartbeat`` seconds;
* fill a new connector (status created) with the source's default configuration and features
  → needs_configuration; add configuration keys a newer source version declares;
* validate the configuration (``validate_config`` + ``ping``) → connected, or error + message —
  only when due (:mod:`connectors.services.source_check`: configuration or status changed, a
  failure to retry, or ``service.source_check_interval`` elapsed; never periodically while a job
  of the connector runs here);
* validate an edited filtering draft, write valid/invalid with per-rule errors, activate a valid
  draft that differs from the active rules;
* turn ``sync_now`` into an on-demand full job (flag reset with a conditional write first, so
  only one process creates the job);
* create a scheduled job when a Quartz schedule is due — the due time is first recorded on the
  connector with a conditional write, so of several processes exactly one creates the job. Full,
  incremental and access-control schedules run side by side, each on its own cron, as in Elastic's
  framework; incremental only when the source declares it and the connector's
  ``features.incremental_sync.enabled`` is true (features are brought up to date with the source's
  declaration on every pass). An incremental due while the connector's last incremental job is
  still unfinished (pending behind a running full sync, or running) is skipped — its due time
  recorded, no job created: that job reads every change up to when it runs. A created incremental
  due while a full sync runs waits, pending, until the full sync ends (``JobStore.claim``).
"""

from __future__ import annotations

import asyncio

from connectors.configuration import merge_configuration, missing_fields
from connectors.errors import ConfigurationError
from connectors.es.errors import error_message
from connectors.protocol import ConnectorDoc, ConnectorStatus, JobType, StaleDocument, TriggerMethod
from connectors.protocol.conditional import merged
from connectors.protocol.constants import SCHEDULED_AT_FIELD
from connectors.services.base import PeriodicService
from connectors.services.filtering_check import FilteringChecker
from connectors.services.quartz import InvalidSchedule, QuartzSchedule, due_time
from connectors.services.source_check import SourceCheckTracker
from connectors.utils import iso_utc

MIN_CATCH_UP = 60.0
MAX_PARALLEL_CONNECTORS = 8


def source_features(source_cls) -> dict:
    return {
        "sync_rules": {
            "basic": {"enabled": True},
            "advanced": {"enabled": bool(source_cls.advanced_rules_enabled)},
        },
        "incremental_sync": {"enabled": bool(source_cls.incremental_sync_enabled)},
        "document_level_security": {"enabled": bool(source_cls.dls_enabled)},
    }


def features_update(current: dict, source_cls) -> dict | None:
    """The connector's ``features`` with what the source declares today merged in (other keys
    kept), or ``None`` when they already agree: a source that gains incremental sync (or loses
    it) is offered, scheduled and run accordingly (Elastic's framework updates them too)."""
    features = merged(current or {}, source_features(source_cls))
    return None if features == (current or {}) else features


class SchedulingService(PeriodicService):
    name = "scheduling"

    def __init__(self, ctx, stop):
        super().__init__(ctx, stop)
        self._last_check_in: dict[str, float] = {}
        self.filtering = FilteringChecker(ctx.connectors)
        self.source_checks = SourceCheckTracker(ctx.settings.source_check_interval, ctx.settings.idling)

    @property
    def catch_up(self) -> float:
        return max(MIN_CATCH_UP, 3 * self.ctx.settings.idling)

    async def tick(self) -> None:
        """One pass over the configured connectors, a few at a time (a slow source delays no other)."""
        slots = asyncio.Semaphore(MAX_PARALLEL_CONNECTORS)

        async def one(connector_id: str, service_type: str | None) -> None:
            async with slots:
                if self.stop_event.is_set():
                    return
                log = self.logger.bind(connector_id=connector_id)
                try:
                    await self.process(connector_id, service_type)
                except asyncio.CancelledError:
                    raise
                except StaleDocument:
                    log.debug("connector changed concurrently; next pass")
                except Exception as exc:
                    log.error(f"connector pass failed: {error_message(exc)}")

        await asyncio.gather(*(one(cid, stype) for cid, stype in self.ctx.configured.items()))

    async def process(self, connector_id: str, configured_type: str | None) -> None:
        log = self.logger.bind(connector_id=connector_id)
        doc = await self.ctx.connectors.get(connector_id)
        if doc is None:
            log.warning("connector not found in Elasticsearch (create it, or fix connectors: in the config)")
            return
        if await self._check_in(connector_id):
            doc = await self.ctx.connectors.require(connector_id)  # the check-in changed its version
        service_type = doc.service_type or configured_type
        if configured_type and doc.service_type and doc.service_type != configured_type:
            log.warning(f"service type is {doc.service_type!r} but the config says {configured_type!r}")
        try:
            source_cls = self.ctx.registry.get(service_type)
        except ConfigurationError as exc:
            log.error(str(exc))
            return
        log = log.bind(service_type=service_type)

        if doc.status in (None, ConnectorStatus.CREATED):
            await self._fill(doc, source_cls, service_type)
            log.info("filled the default configuration; connector needs configuration")
            return
        defaults = source_cls.get_default_configuration()
        features = features_update(doc.features, source_cls)
        if missing_fields(defaults, doc.configuration) or features is not None:
            fields = {"configuration": merge_configuration(defaults, doc.configuration)}
            if features is not None:
                fields["features"] = features
            doc = await self.ctx.connectors.update_if_unchanged(doc, fields)
            log.info("added the configuration fields and features the source declares")
        if doc.status is ConnectorStatus.NEEDS_CONFIGURATION:
            log.debug("waiting for the connector to be configured")
            return

        job_running = connector_id in self.ctx.running_jobs
        reason = self.source_checks.due(doc, job_running=job_running)
        if reason is not None:
            log.debug(f"checking the source ({reason})")
            if not await self._check_source(doc, service_type, log):
                return
        elif not self.source_checks.last_ok(connector_id):
            return  # failing: the error stays until a retry (with backoff) succeeds
        wrote = await self._report_status(doc, source_cls, log)
        if self.filtering.needs_source(doc):
            source = self.ctx.registry.build(service_type, doc.configuration)
            try:
                wrote = await self.filtering.check(doc, source, log) is not None or wrote
            finally:
                await source.close()
        elif await self.filtering.check(doc, None, log) is not None:
            wrote = True

        if wrote:
            doc = await self.ctx.connectors.get(connector_id)
            if doc is None:
                return
        doc = await self._sync_now(doc, log)
        for job_type in self._schedulable(doc, source_cls):
            doc = await self._schedule(doc, job_type, log)

    async def _check_source(self, doc: ConnectorDoc, service_type: str, log) -> bool:
        """``validate_config`` + ``ping``; on failure the connector gets status error + message."""
        source = None
        try:
            source = self.ctx.registry.build(service_type, doc.configuration)
            await source.validate_config()
            await source.ping()
        except Exception as exc:
            message = error_message(exc)
            self.source_checks.checked(doc, ok=False)
            if doc.status is not ConnectorStatus.ERROR or doc.source.get("error") != message:
                log.error(f"connector check failed: {message}")
                await self.ctx.connectors.set_error(doc.id, message)
            self.source_checks.left(doc.id, ConnectorStatus.ERROR)
            return False
        finally:
            if source is not None:
                await source.close()
        self.source_checks.checked(doc, ok=True)
        return True

    async def _report_status(self, doc: ConnectorDoc, source_cls, log) -> bool:
        """After a good check: error (bad schedule) or connected; True if something was written."""
        problem = self._schedule_problem(doc, source_cls)
        if problem is not None:
            self.source_checks.left(doc.id, ConnectorStatus.ERROR)
            if doc.status is not ConnectorStatus.ERROR or doc.source.get("error") != problem:
                log.error(problem)
                await self.ctx.connectors.set_error(doc.id, problem)
                return True
            return False
        self.source_checks.left(doc.id, ConnectorStatus.CONNECTED)
        if doc.status is not ConnectorStatus.CONNECTED or doc.source.get("error"):
            await self.ctx.connectors.set_connected(doc.id)
            log.info("configuration valid and source reachable: connected")
            return True
        return False

    async def _check_in(self, connector_id: str) -> bool:
        now = asyncio.get_running_loop().time()
        last = self._last_check_in.get(connector_id)
        if last is None or now - last >= self.ctx.settings.heartbeat:
            await self.ctx.connectors.check_in(connector_id)
            self._last_check_in[connector_id] = now
            return True
        return False

    async def _fill(self, doc: ConnectorDoc, source_cls, service_type: str) -> None:
        configuration = merge_configuration(source_cls.get_default_configuration(), doc.configuration)
        await self.ctx.connectors.fill_new_connector(
            doc, configuration, source_features(source_cls), service_type
        )

    def _schedule_problem(self, doc: ConnectorDoc, source_cls) -> str | None:
        """The first enabled schedule that cannot be evaluated, as a message for the connector."""
        for job_type in self._schedulable(doc, source_cls):
            enabled, interval = doc.schedule(job_type)
            if not enabled:
                continue
            try:
                QuartzSchedule(interval)
            except InvalidSchedule as exc:
                return f"invalid {job_type.value} sync schedule: {exc}"
        return None

    @staticmethod
    def _schedulable(doc: ConnectorDoc, source_cls) -> list[JobType]:
        types = [JobType.FULL]
        if source_cls.incremental_sync_enabled and doc.feature_enabled("incremental_sync"):
            types.append(JobType.INCREMENTAL)
        if source_cls.dls_enabled and doc.feature_enabled("document_level_security"):
            types.append(JobType.ACCESS_CONTROL)
        return types

    async def _incremental_waiting(self, doc: ConnectorDoc, job_type: JobType) -> str | None:
        """The id of an unfinished incremental job of the connector (pending — e.g. waiting for a
        full sync — or running), for an incremental due now; ``None`` otherwise."""
        if job_type is not JobType.INCREMENTAL:
            return None
        unfinished = await self.ctx.jobs.unfinished_of(doc.id, JobType.INCREMENTAL)
        return unfinished[0].id if unfinished else None

    async def _sync_now(self, doc: ConnectorDoc, log) -> ConnectorDoc:
        if not doc.sync_now:
            return doc
        try:
            doc = await self.ctx.connectors.update_if_unchanged(doc, {"sync_now": False})
        except StaleDocument:
            log.debug("sync_now taken by another process")
            refreshed = await self.ctx.connectors.get(doc.id)
            if refreshed is None:
                raise
            return refreshed
        job_id = await self.ctx.jobs.create(doc.id, JobType.FULL, TriggerMethod.ON_DEMAND)
        log.bind(job_id=job_id).info("sync_now: created an on-demand full sync")
        return doc

    async def _schedule(self, doc: ConnectorDoc, job_type: JobType, log) -> ConnectorDoc:
        enabled, interval = doc.schedule(job_type)
        if not enabled:
            return doc
        try:
            due = due_time(interval, self.ctx.clock(), doc.last_scheduled_at(job_type), self.catch_up)
        except InvalidSchedule:
            return doc  # reported on the connector by _schedule_problem
        if due is None:
            return doc
        waiting = await self._incremental_waiting(doc, job_type)
        try:
            doc = await self.ctx.connectors.update_if_unchanged(
                doc, {SCHEDULED_AT_FIELD[job_type]: iso_utc(due)}
            )
        except StaleDocument:
            log.debug(f"scheduled {job_type.value} sync due {iso_utc(due)} taken by another process")
            return await self.ctx.connectors.get(doc.id) or doc
        if waiting is not None:
            log.bind(job_id=waiting).info(
                f"scheduled incremental sync due at {iso_utc(due)} skipped: incremental sync {waiting} "
                "has not finished yet (it reads every change up to when it runs)"
            )
            return doc
        job_id = await self.ctx.jobs.create(doc.id, job_type, TriggerMethod.SCHEDULED)
        log.bind(job_id=job_id).info(f"created a scheduled {job_type.value} sync due at {iso_utc(due)}")
        return doc
