// The desk's only script: SLA countdowns that tick between refreshes, and the queue's keyboard.
// Pages work without it; it only saves a reload and a mouse trip.
(function () {
  "use strict";
  var SOON = 3600;

  function durationWords(seconds) {
    // Same words as accounts/templatetags/desk.py duration_words.
    var minutes = Math.floor(seconds / 60);
    if (minutes < 1) return "under a minute";
    var days = Math.floor(minutes / 1440); minutes -= days * 1440;
    var hours = Math.floor(minutes / 60); minutes -= hours * 60;
    if (days) return days + " d " + hours + " h";
    if (hours) return hours + " h " + (minutes < 10 ? "0" : "") + minutes + " min";
    return minutes + " min";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.due) - now) / 1000;
      var state = el.dataset.breached || left <= 0 ? "breached" : left < SOON ? "soon" : "ok";
      el.textContent = left > 0 ? "in " + durationWords(left) : durationWords(-left) + " late";
      el.classList.remove("sla-ok", "sla-soon", "sla-breached");
      el.classList.add("sla-" + state);
    });
  }
  setInterval(tick, 15000);

  // --- Queue keyboard: j/k move, o or Enter open, / filters, m mine, u unassigned, ? help -----------
  var selectedId = null;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-href]")); }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-current"); });
    if (!row) return;
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    row.focus();
    selectedId = row.dataset.ticket;
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.findIndex(function (r) { return r.dataset.ticket === selectedId; });
    index = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    select(all[index]);
  }

  function withFilter(name, value) {
    var url = new URL(window.location.href);
    url.searchParams.set(name, value);
    window.location.assign(url.toString());
  }

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("queue")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    var current = rows().find(function (r) { return r.dataset.ticket === selectedId; });
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o": case "Enter": if (current) window.location.assign(current.dataset.href); else return; break;
      case "/": var first = document.querySelector("#queue-filters select"); if (first) first.focus(); break;
      case "m": withFilter("assignee", "me"); break;
      case "u": withFilter("assignee", "none"); break;
      case "?": var help = document.getElementById("queue-keys"); if (help) help.open = !help.open; break;
      default: return;
    }
    event.preventDefault();
  });

  // A live refresh replaces the rows: keep the agent's place and restart the countdowns.
  document.addEventListener("htmx:afterSwap", function () {
    tick();
    if (selectedId) {
      var row = rows().find(function (r) { return r.dataset.ticket === selectedId; });
      if (row) { row.classList.add("selected"); row.setAttribute("aria-current", "true"); }
    }
  });
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("#queue tbody tr[data-href]");
    if (row && !event.target.closest("a, button")) select(row);
  });
})();
