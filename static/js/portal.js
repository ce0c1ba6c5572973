/* Behaviour shared by every page, kept out of the templates so the CSP needs no inline script. */
(function () {
  "use strict";

  // Export links carry the list's current filters, which htmx may have changed in the address bar.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-keep-query]");
    if (link) {
      link.search = window.location.search;
    }
  });

  // A print button (recovery codes) without an inline handler.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });

  // Widths that would otherwise need style="" attributes (blocked by the CSP's style-src).
  function applyWidths(root) {
    var nodes = root.querySelectorAll ? root.querySelectorAll("[data-width]") : [];
    if (root.matches && root.matches("[data-width]")) {
      nodes = [root].concat(Array.prototype.slice.call(nodes));
    }
    Array.prototype.forEach.call(nodes, function (node) {
      var value = parseFloat(node.getAttribute("data-width"));
      if (!isNaN(value)) {
        node.style.width = Math.max(0, Math.min(100, value)) + "%";
      }
    });
  }

  // A table wider than the screen scrolls inside its own region: keyboard users reach it
  // with Tab and scroll it with the arrow keys; screen readers hear what it holds.
  function labelScrollRegions(root) {
    var nodes = root.querySelectorAll ? root.querySelectorAll(".table-responsive") : [];
    Array.prototype.forEach.call(nodes, function (node) {
      if (!node.hasAttribute("tabindex")) { node.setAttribute("tabindex", "0"); }
      if (!node.hasAttribute("role")) { node.setAttribute("role", "region"); }
      if (node.hasAttribute("aria-label") || node.hasAttribute("aria-labelledby")) { return; }
      var table = node.querySelector("table");
      var caption = table && table.querySelector("caption");
      var label = (table && table.getAttribute("aria-label")) || (caption && caption.textContent);
      if (!label) {
        // The nearest heading before the table names it.
        var headings = document.querySelectorAll("h1, h2, h3");
        Array.prototype.forEach.call(headings, function (heading) {
          if (heading.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) {
            label = heading.textContent;
          }
        });
      }
      node.setAttribute("aria-label", (label || document.title).replace(/\s+/g, " ").trim());
    });
  }

  // The navigation marks the page the reader is on (the longest matching link).
  function markCurrentPage() {
    var here = window.location.pathname, best = null, bestLength = 0;
    Array.prototype.forEach.call(document.querySelectorAll(".navbar-nav a.nav-link[href]"), function (link) {
      if (link.getAttribute("href").charAt(0) === "#" || link.origin !== window.location.origin) { return; }
      var path = link.pathname;
      var matches = path === "/" ? here === "/" : here.indexOf(path) === 0;
      if (matches && path.length > bestLength) { best = link; bestLength = path.length; }
    });
    if (best) {
      best.setAttribute("aria-current", "page");
      best.classList.add("active");
    }
  }

  // Money fields: digits grouped with dots as they are typed ("300.000.000"); the amount in
  // words beneath comes from the server (khuyencong.numwords), so there is one spelling.
  function groupDigits(text) {
    var negative = /^\s*-/.test(text);
    var digits = text.replace(/[^0-9]/g, "").replace(/^0+(?=\d)/, "");
    return (negative ? "-" : "") + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function setUpMoney(input) {
    if (input.dataset.moneyReady) { return; }
    input.dataset.moneyReady = "1";
    var hint = null, timer = null;
    if (!input.hasAttribute("data-no-words")) {
      hint = document.createElement("div");
      hint.className = "form-text money-words";
      hint.id = (input.id || input.name) + "-words";
      hint.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", hint);
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", described ? described + " " + hint.id : hint.id);
    }
    function words() {
      if (!hint) { return; }
      var value = input.value.replace(/[^0-9]/g, "");
      if (!value) { hint.textContent = ""; return; }
      fetch(input.getAttribute("data-words-url") + "?amount=" + encodeURIComponent(value), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (text) { hint.textContent = text; })
        .catch(function () { hint.textContent = ""; });
    }
    input.addEventListener("input", function () {
      var before = input.value, caret = input.selectionStart, digitsBefore = before.slice(0, caret).replace(/[^0-9]/g, "").length;
      var grouped = groupDigits(before);
      if (grouped !== before) {
        input.value = grouped;
        // Keep the caret after the same number of digits.
        var position = 0, seen = 0;
        while (position < grouped.length && seen < digitsBefore) {
          if (/[0-9]/.test(grouped[position])) { seen += 1; }
          position += 1;
        }
        input.setSelectionRange(position, position);
      }
      clearTimeout(timer);
      timer = setTimeout(words, 250);
    });
    words();
  }

  function setUpMoneyFields(root) {
    var nodes = root.querySelectorAll ? root.querySelectorAll("input[data-money]") : [];
    Array.prototype.forEach.call(nodes, setUpMoney);
  }

  // Rows added later (a new cost line) are set up when first focused.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("input[data-money]")) { setUpMoney(event.target); }
  });

  function onLoad(root) {
    applyWidths(root);
    labelScrollRegions(root);
    setUpMoneyFields(root);
  }

  document.addEventListener("DOMContentLoaded", markCurrentPage);
  if (window.htmx) {
    window.htmx.onLoad(onLoad);  // the page itself and every swapped fragment
  } else {
    document.addEventListener("DOMContentLoaded", function () { onLoad(document); });
  }
})();
