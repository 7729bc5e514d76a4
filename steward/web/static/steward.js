// Draws the charts the server describes in data-chart, and resets a form
// after htmx posted it. No inline scripts: the page's CSP allows only files.
(function () {
  "use strict";
  var COLOURS = {
    healthy: "#2e7d32", neutral: "#b7791f", at_risk: "#c62828",
    insufficient_data: "#9e9e9e", score: "#1565c0", events: "#90caf9", users: "#1565c0",
  };
  var BAND_ORDER = ["#2e7d32", "#b7791f", "#c62828", "#9e9e9e"];

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof Chart === "undefined") return;
    var spec = JSON.parse(canvas.dataset.chart);
    var datasets = spec.series.map(function (s) {
      var colour = spec.kind === "doughnut" ? BAND_ORDER : (s.colour || COLOURS[s.key] || "#1565c0");
      return {
        label: s.label, data: s.data, type: s.type, backgroundColor: colour,
        borderColor: spec.kind === "doughnut" ? "#fff" : colour, tension: 0.2,
        pointRadius: s.data.length > 40 ? 0 : 3, yAxisID: s.type === "line" && spec.kind === "bar" ? "y2" : "y",
      };
    });
    var scales = {};
    if (spec.kind !== "doughnut") {
      scales = {
        x: { stacked: !!spec.stacked, ticks: { maxTicksLimit: 10 } },
        y: { stacked: !!spec.stacked, beginAtZero: true, min: spec.min, max: spec.max },
      };
      if (datasets.some(function (d) { return d.yAxisID === "y2"; })) {
        scales.y2 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } };
      }
    }
    new Chart(canvas, {
      type: spec.kind,
      data: { labels: spec.labels, datasets: datasets },
      options: { animation: false, responsive: true, maintainAspectRatio: true, scales: scales },
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("form[data-reset-on-success]")) {
      form.reset();
    }
  });
})();
