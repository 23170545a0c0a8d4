"""The clients of a fault run (`bench.faults`): sales reps who quote over HTTP and accept each
promised answer, and a scheduler who approves every pending proposal."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

POLL = 0.25
WAIT_LIMIT = 180.0  # past this a quote counts as stranded


@dataclass
class Http:
    base: str
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, token: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """One request; (status, JSON body or None). A refused connection is status 0."""
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            method="POST" if body is not None else "GET",
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError:
            status, raw = 0, b""
        with self.lock:
            self.statuses[status] += 1
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None


@dataclass
class Batch:
    ids: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, quote_id: int) -> None:
        with self.lock:
            self.ids.append(quote_id)


FINAL = ("done", "failed", "cancelled")


def submit(
    http: Http, token: str, targets: dict[str, list[int]], rng: random.Random, batch: Batch
) -> int | None:
    """One quote request (tried again while the site answers 503 or not at all)."""
    body = {
        "customer": rng.choice(targets["customers"]),
        "product": rng.choice(targets["products"]),
        "quantity": rng.randint(1, 5),
    }
    status, created = http.call(token, "/api/quotes/", body)
    while status in (0, 503):  # unreachable for a moment: the rep tries again
        time.sleep(1)
        status, created = http.call(token, "/api/quotes/", body)
    if status != 202 or not created:
        return None
    batch.add(int(created["id"]))
    return int(created["id"])


def rep(
    http: Http,
    token: str,
    targets: dict[str, list[int]],
    count: int,
    seed: int,
    batch: Batch,
    submitted: threading.Barrier,
) -> None:
    """A sales rep: asks for `count` quotes at once, then waits for each answer and accepts
    it (again after a 409: the board moved and the quote was re-solved)."""
    rng = random.Random(seed)
    ids = [submit(http, token, targets, rng, batch) for _ in range(count)]
    submitted.wait(timeout=WAIT_LIMIT)
    for quote_id in ids:
        if quote_id is None:
            continue
        for _attempt in range(4):
            quote = _poll(http, token, quote_id)
            if quote is None or quote["status"] != "done" or quote["answer_status"] != "promised":
                break
            status, _ = http.call(token, f"/api/quotes/{quote_id}/accept/", {})
            if status != 409:
                break  # accepted (order or proposal), or refused for a reason that stands


def _poll(http: Http, token: str, quote_id: int) -> dict[str, Any] | None:
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        status, quote = http.call(token, f"/api/quotes/{quote_id}/")
        if status == 200 and quote and quote["status"] in FINAL and not quote.get("improving"):
            return dict(quote)
        time.sleep(POLL)
    return None


def scheduler(http: Http, token: str, stop: threading.Event) -> None:
    """Approves every pending proposal; the rep confirms a later promise (the quote page's
    button, through the service: the API has no route for it)."""
    from django.db import close_old_connections

    from quoting import services
    from quoting.models import ReplanProposal

    while not stop.is_set():
        status, page = http.call(token, "/api/proposals/?status=pending&limit=100")
        rows = (page or {}).get("results", page) if status == 200 else []
        for proposal in rows or []:
            http.call(token, f"/api/proposals/{proposal['id']}/approve/", {})
        try:
            close_old_connections()
            for proposal in ReplanProposal.objects.filter(
                status=ReplanProposal.Status.AWAITING_REP
            ).select_related("quote__created_by"):
                try:
                    services.replan_proposal_confirm_later(
                        proposal_id=proposal.pk, confirmed_by=proposal.quote.created_by
                    )
                except services.QuotingConflict:
                    pass
        except Exception as exc:  # a terminated connection: next round
            if not transient_error(exc):
                raise
            close_old_connections()
        stop.wait(0.5)


def transient_error(exc: BaseException) -> bool:
    from quoting.services.transient import is_transient

    return is_transient(exc)
