/* Dashboard charts: each <canvas data-chart="ID"> is drawn from the JSON in
 * <template data-chart-data="ID"><script type="application/json" id="ID"> (json_script, CSP-safe). Redrawn after every
 * htmx swap of #dashboard-body, so a filter change updates charts and tables together. */
(function () {
  "use strict";

  function cssColor(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue("--" + name).trim();
    return value || fallback;
  }

  var PALETTE = ["#2463eb", "#1b7f3b", "#b26a00", "#c62828", "#6a4fb3", "#00838f", "#8d6e63", "#5f6b7a"];

  function colorFor(dataset, index) {
    if (dataset.color) {
      return cssColor(dataset.color, PALETTE[index % PALETTE.length]);
    }
    return PALETTE[index % PALETTE.length];
  }

  function moneyFormat(value) {
    return new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 0 }).format(value);
  }

  function build(spec) {
    var datasets = spec.datasets.map(function (dataset, index) {
      var color = colorFor(dataset, index);
      var background = color;
      if (spec.highlight) {
        var danger = cssColor("danger", "#c62828");
        background = spec.highlight.map(function (flagged) { return flagged ? danger : color; });
      }
      return {
        label: dataset.label,
        data: dataset.data,
        backgroundColor: background,
        borderColor: color,
        borderWidth: spec.type === "line" ? 2 : 0,
        pointRadius: spec.type === "line" ? 0 : undefined,
        spanGaps: true
      };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true } },
      plugins: { legend: { position: "bottom" }, tooltip: { callbacks: {} } }
    };
    var valueAxis = spec.horizontal ? "x" : "y";
    if (spec.money) {
      options.scales[valueAxis].ticks = { callback: moneyFormat };
    }
    if (spec.percent_axis) {
      options.scales[valueAxis].max = 100;
    }
    if (spec.highlight) {
      // Legend swatches in each dataset's own colour, not the first bar's (which may be highlighted).
      options.plugins.legend.labels = {
        generateLabels: function (chart) {
          var items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
          items.forEach(function (item) {
            var color = chart.data.datasets[item.datasetIndex].borderColor;
            item.fillStyle = color;
            item.strokeStyle = color;
          });
          return items;
        }
      };
    }
    if (spec.percent_of_row) {
      options.plugins.tooltip.callbacks.label = function (ctx) {
        var total = ctx.chart.data.datasets.reduce(function (sum, ds) { return sum + (ds.data[ctx.dataIndex] || 0); }, 0);
        var share = total ? Math.round((1000 * ctx.raw) / total) / 10 : 0;
        return ctx.dataset.label + ": " + ctx.raw + " (" + share + " %)";
      };
    }
    return { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function drawAll(root) {
    if (typeof Chart === "undefined") {
      return;
    }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      // The JSON sits in a <template> (htmx would drop a bare <script> from a swapped fragment).
      var holder = document.querySelector('template[data-chart-data="' + canvas.dataset.chart + '"]');
      var source = holder && holder.content.getElementById(canvas.dataset.chart);
      if (!source) {
        return;
      }
      var existing = Chart.getChart(canvas);
      if (existing) {
        existing.destroy();
      }
      var chart = new Chart(canvas, build(JSON.parse(source.textContent)));
      canvas.dataset.drawn = String(chart.data.labels.length);
    });
  }

  // Picking a preset period drops a custom range (which would otherwise win). This listener sits on
  // the select itself, so it runs before htmx's change handler on the form collects the values.
  function bindPeriod() {
    var form = document.getElementById("dashboard-filters");
    var period = form && form.querySelector('select[name="period"]');
    if (!period) {
      return;
    }
    period.addEventListener("change", function () {
      form.querySelectorAll('input[name="start"], input[name="end"]').forEach(function (input) {
        input.value = "";
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindPeriod();
    drawAll(document);
  });
  // An outerHTML swap replaces #dashboard-body, so look it up again after every settle.
  document.body.addEventListener("htmx:afterSettle", function () {
    var body = document.getElementById("dashboard-body");
    if (body) {
      drawAll(body);
    }
  });
})();
