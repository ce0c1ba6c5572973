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

  if (window.htmx) {
    window.htmx.onLoad(applyWidths);  // the page itself and every swapped fragment
  } else {
    document.addEventListener("DOMContentLoaded", function () { applyWidths(document); });
  }
})();
