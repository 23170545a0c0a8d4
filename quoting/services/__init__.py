"""Writes of the quoting app. Import from here: `from quoting import services`.

Quote requests (quote_requests.py): `quote_request_create`, `quote_cancel`.
Accepting (accepting.py): `quote_accept`, `quote_requote`.
Proposals (proposals.py): `replan_proposal_approve`, `replan_proposal_reject`,
`replan_proposal_confirm_later`.
Re-promise (repromise.py): `order_repromise`.
Customer date requests (date_requests.py): `date_change_request_create`,
`date_change_request_close`.
Notifications (notifications.py): `notifications_mark_read`.
Shop floor (downtime.py): `downtime_change` (edit or end a downtime early, audited).
Repairs of a broken board (repair.py): `repair_request`, `repair_solve` (the worker's),
`repair_approve`, `repair_reject`, `repromise_proposal_confirm` (the rep's).
Solving (called by the Celery tasks): `quote_solve` (quote_solving.py), `proposal_solve`
(proposal_solving.py), `solves_sweep_stale` (sweeping.py); `enqueue_quote_solve`,
`enqueue_proposal_solve` (enqueue.py); `SolveMonitor` (monitor.py); what a solve runs on
(solve_inputs.py) and how the engine is run (engine_runs.py).
Portfolio (portfolio.py, ENGINE_PORTFOLIO > 1): `portfolio_publish`, `portfolio_member_solve`.
The audit trail (audit.py): `audit_event_record`, the one writer of `AuditEvent` rows.

Errors: `django.core.exceptions.ValidationError` (bad input, field messages, nothing written),
`QuotingConflict` and its subclasses `QuoteStale` / `ProposalStale` (the row's state or the board
does not allow it; stale ones have already enqueued a re-solve), `RepromiseInfeasible`
(conflicts.py).
"""

from quoting.services.accepting import AcceptOutcome, quote_accept, quote_requote
from quoting.services.conflicts import (
    ProposalStale,
    QuoteStale,
    QuotingConflict,
    RepromiseInfeasible,
)
from quoting.services.date_requests import date_change_request_close, date_change_request_create
from quoting.services.downtime import downtime_change
from quoting.services.enqueue import enqueue_proposal_solve, enqueue_quote_solve
from quoting.services.improving import quote_improve
from quoting.services.monitor import SolveMonitor
from quoting.services.notifications import notifications_mark_read
from quoting.services.portfolio import portfolio_member_solve, portfolio_publish
from quoting.services.proposal_solving import proposal_solve
from quoting.services.proposals import (
    replan_proposal_approve,
    replan_proposal_confirm_later,
    replan_proposal_reject,
)
from quoting.services.quote_requests import quote_cancel, quote_request_create
from quoting.services.quote_solving import MAX_SOLVE_ATTEMPTS, quote_solve
from quoting.services.repair import (
    repair_approve,
    repair_reject,
    repair_request,
    repair_solve,
    repromise_proposal_confirm,
)
from quoting.services.repromise import order_repromise
from quoting.services.sweeping import SweepReport, solves_sweep_stale

__all__ = [
    "MAX_SOLVE_ATTEMPTS",
    "AcceptOutcome",
    "ProposalStale",
    "QuoteStale",
    "QuotingConflict",
    "RepromiseInfeasible",
    "SolveMonitor",
    "SweepReport",
    "date_change_request_close",
    "date_change_request_create",
    "downtime_change",
    "enqueue_proposal_solve",
    "enqueue_quote_solve",
    "notifications_mark_read",
    "order_repromise",
    "portfolio_member_solve",
    "portfolio_publish",
    "proposal_solve",
    "quote_accept",
    "quote_cancel",
    "quote_improve",
    "quote_request_create",
    "quote_requote",
    "quote_solve",
    "repair_approve",
    "repair_reject",
    "repair_request",
    "repair_solve",
    "replan_proposal_approve",
    "replan_proposal_confirm_later",
    "replan_proposal_reject",
    "repromise_proposal_confirm",
    "solves_sweep_stale",
]
