"""Services deciding when jobs run: scheduling, job execution (one pool per kind of job), orphan
cleanup, signals."""

from connectors.services.base import ServiceContext
from connectors.services.cleanup import JobCleanupService
from connectors.services.execution import JobExecutionService, execution_services
from connectors.services.job_pool import JobPool
from connectors.services.quartz import InvalidSchedule, QuartzSchedule, due_time, quartz_to_croniter
from connectors.services.scheduling import SchedulingService
from connectors.services.service import ConnectorService, run_service

__all__ = [
    "ConnectorService",
    "InvalidSchedule",
    "JobCleanupService",
    "JobExecutionService",
    "JobPool",
    "QuartzSchedule",
    "SchedulingService",
    "ServiceContext",
    "due_time",
    "execution_services",
    "quartz_to_croniter",
    "run_service",
]
