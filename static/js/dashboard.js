// Dashboard charts (Chart.js, vendored). The same figures are in the tables beside them.
(function () {
  const el = document.getElementById("dashboard-data");
  if (!el || typeof Chart === "undefined") return;
  const data = JSON.parse(el.textContent);
  const vnd = (v) => new Intl.NumberFormat("vi-VN").format(v);
  const money = { ticks: { callback: (v) => vnd(v) } };
  const tooltip = { callbacks: { label: (c) => `${c.dataset.label || c.label}: ${vnd(c.parsed.y ?? c.parsed.x ?? c.parsed)}` } };
  const palette = ["#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6", "#a5a5a5"];
  function bar(id, labels, datasets, horizontal) {
    const canvas = document.getElementById(id);
    if (!canvas || !labels.length) return;
    new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: datasets.map((d, i) => ({ ...d, backgroundColor: palette[i % palette.length] })) },
      options: { indexAxis: horizontal ? "y" : "x", responsive: true, plugins: { tooltip },
                 scales: horizontal ? { x: money } : { y: money } },
    });
  }
  bar("chart-status", data.status.labels, [{ label: "Số đề án", data: data.status.values }]);
  bar("chart-area", data.area.labels, [
    { label: "Đề nghị", data: data.area.requested }, { label: "Phê duyệt", data: data.area.approved },
    { label: "Giải ngân", data: data.area.disbursed }, { label: "Quyết toán", data: data.area.settled }]);
  bar("chart-activity", data.activity.labels, [
    { label: "Đề nghị", data: data.activity.requested }, { label: "Phê duyệt", data: data.activity.approved }]);
  bar("chart-region", data.region.labels, [
    { label: "Phê duyệt", data: data.region.approved }, { label: "Giải ngân", data: data.region.disbursed }]);
  const fund = document.getElementById("chart-fund");
  if (fund && data.fund.labels.length) {
    new Chart(fund, { type: "doughnut", data: { labels: data.fund.labels,
      datasets: [{ data: data.fund.values, backgroundColor: palette }] }, options: { plugins: { tooltip } } });
  }
})();
