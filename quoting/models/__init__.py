"""Quotes, replan, repair and re-promise proposals, the audit trail, customers' date requests
and notifications, one module by purpose; every model is importable from here
(`from quoting.models import Quote`), which is also how Django finds them.

None of these models writes a promise or a schedule version: `quoting.services` does that, only
through `scheduling.services.schedule_commit`.
"""

from quoting.models.audit import AuditEvent
from quoting.models.date_requests import DateChangeRequest
from quoting.models.notifications import Notification
from quoting.models.proposals import Decision, RepairProposal, ReplanProposal, RepromiseProposal
from quoting.models.quotes import PortfolioMember, Quote
from quoting.models.solve_rows import SolveRow, SolveStatus, StoredAnswer

__all__ = [
    "AuditEvent",
    "DateChangeRequest",
    "Decision",
    "Notification",
    "PortfolioMember",
    "Quote",
    "RepairProposal",
    "ReplanProposal",
    "RepromiseProposal",
    "SolveRow",
    "SolveStatus",
    "StoredAnswer",
]
