/* Officer workspace: cost-line rows (add, remove, preview amounts) and confirmations. */
(function () {
  "use strict";
  var money = new Intl.NumberFormat("vi-VN");

  function lineAmount(row) {
    var q = parseFloat((row.querySelector("[data-cost=quantity]") || {}).value);
    var c = parseInt(String((row.querySelector("[data-cost=unit_cost]") || {}).value || "").replace(/[^0-9-]/g, ""), 10);
    if (isNaN(q) || isNaN(c)) { return null; }
    return Math.round(q * c);
  }

  function refresh(table) {
    var total = 0, n = 0;
    table.querySelectorAll("tbody tr.cost-line").forEach(function (row) {
      var del = row.querySelector(".line-delete");
      var deleted = del && del.checked;
      row.classList.toggle("line-deleted", !!deleted);
      if (!deleted) { n += 1; }
      var cell = row.querySelector(".line-no");
      if (cell) { cell.textContent = deleted ? "" : String(n); }
      var amount = lineAmount(row);
      row.querySelector(".line-amount").textContent = amount === null ? "—" : money.format(amount) + " ₫";
      if (!deleted && amount !== null) { total += amount; }
    });
    var out = document.getElementById("cost-total");
    if (out) { out.textContent = money.format(total) + " ₫"; }
  }

  function setupCostLines() {
    var table = document.getElementById("cost-lines");
    if (!table) { return; }
    var prefix = table.dataset.prefix;
    var totalInput = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById("cost-line-template");
    document.getElementById("add-cost-line").addEventListener("click", function () {
      var index = parseInt(totalInput.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var body = table.querySelector("tbody");
      body.insertAdjacentHTML("beforeend", html);
      totalInput.value = String(index + 1);
      refresh(table);
      var first = body.lastElementChild.querySelector("input");
      if (first) { first.focus(); }
    });
    table.addEventListener("input", function () { refresh(table); });
    table.addEventListener("change", function () { refresh(table); });
    refresh(table);
  }

  function setupConfirm() {
    document.addEventListener("submit", function (event) {
      var message = event.target.getAttribute("data-confirm");
      if (message && !window.confirm(message)) { event.preventDefault(); }
    });
  }

  function setupTooltips() {
    if (!window.bootstrap) { return; }
    document.querySelectorAll("[data-bs-toggle=tooltip]").forEach(function (el) {
      new window.bootstrap.Tooltip(el);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupCostLines();
    setupConfirm();
    setupTooltips();
  });
})();
