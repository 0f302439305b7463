"""Filtering drafts: validate an edited draft, write the result, activate a valid one.

As in Elastic's framework: a draft in state ``edited`` is validated (basic rules + the source's
advanced-rules validators) and gets ``valid`` or ``invalid`` with per-rule ``{ids, messages}``;
a valid draft whose rules or advanced snippet differ from the active ones is activated.
"""

from __future__ import annotations

from connectors.filtering import validate_filtering
from connectors.filtering.drafts import rules_content
from connectors.protocol import ConnectorDoc, ConnectorStore, FilteringValidationState


class FilteringChecker:
    def __init__(self, connectors: ConnectorStore):
        self.connectors = connectors

    @staticmethod
    def needs_source(doc: ConnectorDoc) -> bool:
        """True if :meth:`check` will validate a draft (advanced rules need the source)."""
        draft = doc.draft_filter()
        return (
            bool(draft)
            and (draft.get("validation") or {}).get("state") == FilteringValidationState.EDITED.value
        )

    async def check(self, doc: ConnectorDoc, source, log) -> str | None:
        """Validate/activate the draft of ``doc``; returns the draft state if anything was written.

        ``source`` is needed only when :meth:`needs_source` says so.
        """
        draft = doc.draft_filter()
        if not draft:
            return None
        state = (draft.get("validation") or {}).get("state")
        if state == FilteringValidationState.EDITED.value:
            result = await validate_filtering(draft, source)
            await self.connectors.write_filtering_validation(doc.id, result)
            log.info(f"filtering draft validated: {result['state']}")
            if result["state"] == FilteringValidationState.VALID.value:
                await self.connectors.activate_filtering(doc.id)
                log.info("filtering draft activated")
            return result["state"]
        if state == FilteringValidationState.VALID.value and rules_content(draft) != rules_content(
            doc.active_filter()
        ):
            await self.connectors.activate_filtering(doc.id)
            log.info("valid filtering draft activated")
            return state
        return None
