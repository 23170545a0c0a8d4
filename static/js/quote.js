// Quote page: while the solve runs, re-fetch the status panel (progress, best date so far)
// and swap it in, until the answer is there; while a proposal waits for the scheduler, more
// slowly (data-poll-ms), until the decision shows. Plain fetch; no framework.
(function () {
  "use strict";
  const INTERVAL_MS = 400;
  function schedule() {
    const panel = document.getElementById("quote-status");
    if (!panel || !panel.dataset.poll) return;
    setTimeout(function () {
      fetch(panel.dataset.poll, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.text();
        })
        .then(function (html) {
          const current = document.getElementById("quote-status");
          const holder = document.createElement("div");
          holder.innerHTML = html.trim();
          const next = holder.firstElementChild;
          if (current && next) current.replaceWith(next);
          schedule();
        })
        .catch(function () { setTimeout(schedule, INTERVAL_MS * 5); });
    }, Number(panel.dataset.pollMs) || INTERVAL_MS);
  }
  schedule();
})();
