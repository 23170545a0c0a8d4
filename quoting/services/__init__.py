"""Writes of the quoting app. Import from here: `from quoting import services`.

Workflow (workflow.py): `quote_request_create`, `quote_cancel`, `quote_accept`,
`quote_requote`, `replan_proposal_approve`, `replan_proposal_reject`, `order_repromise`,
`quote_request_from_customer`, `date_change_request_close`, `notifications_mark_read`.
Shop floor (downtime.py): `downtime_change` (edit or end a downtime early, audited).
Repairs of a broken board (repair.py): `repair_request`, `repair_solve` (the worker's),
`repair_approve`, `repair_reject`, `repromise_proposal_confirm` (the rep's).
Solving (solving.py, called by the Celery tasks): `quote_solve`, `proposal_solve`,
`solves_sweep_stale`, `enqueue_quote_solve`, `enqueue_proposal_solve`.
Portfolio (portfolio.py, ENGINE_PORTFOLIO > 1): `portfolio_publish`, `portfolio_member_solve`.

Errors: `django.core.exceptions.ValidationError` (bad input, field messages, nothing written),
`QuotingConflict` and its subclasses `QuoteStale` / `ProposalStale` (the row's state or the board
does not allow it; stale ones have already enqueued a re-solve), `RepromiseInfeasible`.
"""

from quoting.services.downtime import downtime_change
from quoting.services.improving import quote_improve
from quoting.services.portfolio import portfolio_member_solve, portfolio_publish
from quoting.services.repair import (
    repair_approve,
    repair_reject,
    repair_request,
    repair_solve,
    repromise_proposal_confirm,
)
from quoting.services.solving import (
    MAX_SOLVE_ATTEMPTS,
    SolveMonitor,
    SweepReport,
    enqueue_proposal_solve,
    enqueue_quote_solve,
    proposal_solve,
    quote_solve,
    solves_sweep_stale,
)
from quoting.services.workflow import (
    AcceptOutcome,
    ProposalStale,
    QuoteStale,
    QuotingConflict,
    RepromiseInfeasible,
    date_change_request_close,
    notifications_mark_read,
    order_repromise,
    quote_accept,
    quote_cancel,
    quote_request_create,
    quote_request_from_customer,
    quote_requote,
    replan_proposal_approve,
    replan_proposal_confirm_later,
    replan_proposal_reject,
)

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
    "quote_request_from_customer",
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
