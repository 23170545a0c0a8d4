// Job board: a tooltip on hover and a detail panel on click for the server-rendered bars.
// Event delegation on the Gantt, so 1,000 bars cost one listener, not 1,000.
(function () {
  "use strict";
  const gantt = document.getElementById("gantt");
  if (!gantt) return;
  const tip = document.createElement("div");
  tip.className = "tooltip";
  tip.hidden = true;
  document.body.appendChild(tip);
  const panel = document.getElementById("op-detail");

  function describe(el) {
    const d = el.dataset;
    const rows = [
      ["Order", d.order + (d.customer ? " · " + d.customer : "")],
      ["Operation", d.op + " on " + d.wc],
      ["Planned", d.start + " → " + d.end],
      ["Promise", d.promise],
      ["Slack", d.slack + " (" + d.status + ")"],
    ];
    if (d.note) rows.push(["Proposal", d.note]);
    return rows;
  }

  function fill(target, rows) {
    target.replaceChildren();
    for (const [label, value] of rows) {
      const line = document.createElement("div");
      const b = document.createElement("b");
      b.textContent = label + ": ";
      line.appendChild(b);
      line.appendChild(document.createTextNode(value));
      target.appendChild(line);
    }
  }

  gantt.addEventListener("mouseover", function (event) {
    const el = event.target.closest(".op");
    if (!el) { tip.hidden = true; return; }
    fill(tip, describe(el));
    tip.hidden = false;
  });
  gantt.addEventListener("mousemove", function (event) {
    if (tip.hidden) return;
    const x = Math.min(event.clientX + 14, window.innerWidth - 290);
    tip.style.left = x + "px";
    tip.style.top = event.clientY + 14 + "px";
  });
  gantt.addEventListener("mouseleave", function () { tip.hidden = true; });
  // Keyboard: a focused bar shows its tooltip beside it; Enter or Space opens its details.
  gantt.addEventListener("focusin", function (event) {
    const el = event.target.closest(".op");
    if (!el) return;
    fill(tip, describe(el));
    const box = el.getBoundingClientRect();
    tip.style.left = Math.min(box.left, window.innerWidth - 290) + "px";
    tip.style.top = box.bottom + 6 + "px";
    tip.hidden = false;
  });
  gantt.addEventListener("focusout", function () { tip.hidden = true; });
  gantt.addEventListener("keydown", function (event) {
    const el = event.target.closest(".op");
    if (!el || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    el.click();
  });
  gantt.addEventListener("click", function (event) {
    const el = event.target.closest(".op");
    if (!el || !panel) return;
    gantt.querySelectorAll(".op.selected").forEach(function (x) { x.classList.remove("selected"); });
    gantt.querySelectorAll('.op[data-order="' + CSS.escape(el.dataset.order) + '"]').forEach(function (x) {
      x.classList.add("selected");
    });
    const dl = document.createElement("dl");
    dl.className = "facts";
    for (const [label, value] of describe(el)) {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value;
      dl.append(dt, dd);
    }
    panel.replaceChildren(dl);
  });

  // Find an order: highlight the bars whose order or customer contains the text; the rest fade.
  const search = document.getElementById("board-search");
  const found = document.getElementById("board-search-count");
  function highlight() {
    const text = search.value.trim().toLowerCase();
    let count = 0;
    const orders = new Set();
    for (const el of gantt.querySelectorAll(".op")) {
      const hit =
        text !== "" &&
        ((el.dataset.order || "").toLowerCase().includes(text) ||
          (el.dataset.customer || "").toLowerCase().includes(text));
      el.classList.toggle("found", hit);
      if (hit) {
        count += 1;
        orders.add(el.dataset.order);
      }
    }
    gantt.classList.toggle("searching", text !== "");
    if (found) {
      found.textContent =
        text === ""
          ? ""
          : count === 0
            ? "no bar in this window"
            : count + " bar" + (count === 1 ? "" : "s") + " of " + orders.size + " order" + (orders.size === 1 ? "" : "s");
    }
  }
  if (search) {
    search.addEventListener("input", highlight);
    // Enter highlights in place; it does not reload the page (the CSP forbids inline handlers).
    search.form.addEventListener("submit", (event) => event.preventDefault());
    highlight(); // ?q= prefills it
  }
})();
