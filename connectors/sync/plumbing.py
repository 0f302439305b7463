"""How the runner reaches the lower layers (sink, filtering, index mappings, the index view).

The runner depends only on :class:`SyncPlumbing`; :func:`default_plumbing` wires the framework's
own ``connectors.es`` and ``connectors.filtering`` (imported lazily), tests wire fakes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from connectors.utils import MIB


@dataclass
class SyncPlumbing:
    # (client, index_name, pipeline: dict, sink options: ServiceSettings.sink_options(), logger) -> sink
    make_sink: Callable[..., Any]
    # (filtering map {rules, advanced_snippet}) -> object with .matches(doc)
    make_filter: Callable[[dict], Any]
    # (client, index_name, mappings_extra=None) -> awaitable; creates the index (content or ACL)
    ensure_index: Callable[..., Awaitable[Any]]
    # (client, index_name, outage policy, logger) -> the source's read-only IndexView of its index
    make_index_view: Callable[..., Any] | None = None

    def __post_init__(self):
        if self.make_index_view is None:
            self.make_index_view = _make_index_view


def _make_sink(client, index_name, pipeline, bulk, logger):
    from connectors.es.sink import ContentSink

    options = {
        key: bulk[key]
        for key in (
            "chunk_size",
            "chunk_max_mem_mb",
            "queue_max_size",
            "queue_max_mem_mb",
            "max_concurrency",
            "concurrent_downloads",
            "max_retries",
            "retry_interval",
            "error_budget",
            "outage_timeout",
            "outage_retry_interval",
            "unversioned_fields",
        )
        if key in bulk
    }
    return ContentSink(client, index_name, pipeline=pipeline or None, logger=logger, **options)


def _make_index_view(client, index_name, outage, logger):
    from connectors.es.index_view import EsIndexView

    return EsIndexView(client, index_name, outage, logger=logger)


def _make_filter(filtering: dict):
    from connectors.filtering import Filter

    return Filter(filtering)


async def _ensure_index(client, index_name, mappings_extra=None):
    from connectors.es.mappings import ensure_content_index

    return await ensure_content_index(client, index_name, mappings_extra)


def default_plumbing() -> SyncPlumbing:
    return SyncPlumbing(make_sink=_make_sink, make_filter=_make_filter, ensure_index=_ensure_index)


def _read(stats: Any, *names: str) -> int:
    for name in names:
        value = stats.get(name) if isinstance(stats, dict) else getattr(stats, name, None)
        if value is not None:
            return int(value)
    return 0


def sink_counts(stats: Any) -> dict:
    """Normalise the sink's live or final stats to the job's count fields (+ skipped, errors).

    ``indexed_document_volume`` is reported by the sink in bytes and stored on the job in MiB;
    ``failed_document_count`` (documents rejected or not downloaded: the sink's ``errors``) goes
    to the job's ``metadata`` (see ``connectors.protocol.jobs``), and so does
    ``metadata_updated_document_count`` (of the indexed documents, those written as a partial
    update of their unversioned fields, without a download: the sink's ``metadata_updates``).
    """
    if stats is None:
        return {}
    volume_bytes = _read(stats, "indexed_document_volume", "indexed_volume", "volume")
    return {
        "indexed_document_count": _read(stats, "indexed_document_count", "indexed"),
        "indexed_document_volume": round(volume_bytes / MIB),
        "deleted_document_count": _read(stats, "deleted_document_count", "deleted"),
        "skipped": _read(stats, "skipped", "unchanged", "skipped_document_count"),
        "errors": _read(stats, "errors", "error_count", "failed"),
        "failed_document_count": _read(stats, "errors", "error_count", "failed"),
        "metadata_updated_document_count": _read(stats, "metadata_updates"),
    }
