"""Writes of the quoting app. Import from here: `from quoting import services`.

Which module holds which service, and the errors they raise (`ValidationError`,
`QuotingConflict` and its subclasses, `RepromiseInfeasible`): docs/quoting.md ("The services").
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
