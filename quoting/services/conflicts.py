"""The quoting workflow's errors: a row's state or the board does not allow an action (HTTP
409), or no schedule keeps a new date."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from quoting.models import (
    Quote,
    ReplanProposal,
)


class PlanExpired(Exception):
    """The answer's new or moved operations start too far in the past to be committed."""


class QuotingConflict(Exception):
    """The row is not in a state that allows this action (HTTP 409)."""


class QuoteStale(QuotingConflict):
    """The board changed since the quote was solved; it is being re-solved."""

    def __init__(self, quote: Quote, cause: Exception):
        self.quote = quote
        super().__init__(f"the schedule changed since this quote was solved; re-solving ({cause})")


class ProposalStale(QuotingConflict):
    """The board changed since the proposal was solved; it is being re-solved, not committed."""

    def __init__(self, proposal: ReplanProposal, cause: Exception):
        self.proposal = proposal
        super().__init__(
            "the schedule changed since this proposal was solved; it is being re-solved on the "
            "current board and your approval stands: it is committed unless its promise comes "
            f"out later than the one the rep agreed to ({cause})"
        )


class RepromiseInfeasible(ValidationError):
    """No valid schedule keeps every promise with the order at the new date."""
