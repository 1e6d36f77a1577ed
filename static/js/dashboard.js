/* Dashboard charts: each <canvas data-chart="ID"> is drawn from the JSON in
 * <template data-chart-data="ID"><script type="application/json" id="ID"> (json_script, CSP-safe). Redrawn after every
 * htmx swap of #dashboard-body, so a filter change updates charts and tables together.
 * Numbers on axes and in tooltips follow the user's language (#dashboard-body's data-locale, Intl.NumberFormat); a
 * click on a bar opens the deals behind it (the canvas's data-links: per dataset, per bar, a URL the server built). */
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

  function localeOf(canvas) {
    var body = canvas.closest("[data-locale]");
    return (body && body.dataset.locale) || document.documentElement.lang || undefined;
  }

  function currencyOf(canvas) {
    var body = canvas.closest("[data-currency]");
    return (body && body.dataset.currency) || "";
  }

  function formatters(locale, currency) {
    var plain = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    var whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    // Axis ticks short ("1,2 Mio."), tooltips exact; the currency as the tables write it ("5.000 EUR").
    var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
    return {
      number: function (value) { return plain.format(value); },
      percent: function (value) { return plain.format(value) + "\u00a0%"; },
      moneyTick: function (value) { return compact.format(value); },
      money: function (value) { return whole.format(value) + (currency ? "\u00a0" + currency : ""); }
    };
  }

  function build(spec, canvas) {
    var format = formatters(localeOf(canvas), currencyOf(canvas));
    var links = canvas.dataset.links ? JSON.parse(canvas.dataset.links) : null;
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
        // Lines whose points open a list (spec.points) show them and are easy to hit.
        pointRadius: spec.type === "line" ? (spec.points ? 3 : 0) : undefined,
        pointHitRadius: spec.points ? 8 : undefined,
        fill: false,
        spanGaps: true
      };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true } },
      locale: localeOf(canvas),
      plugins: { legend: { position: "bottom" }, tooltip: { callbacks: {} } }
    };
    var valueAxis = spec.horizontal ? "x" : "y";
    var valueFormat = format.number;
    options.scales[valueAxis].ticks = { callback: format.number };
    if (spec.money) {
      options.scales[valueAxis].ticks.callback = format.moneyTick;
      valueFormat = format.money;
    }
    if (spec.integer) {
      options.scales[valueAxis].ticks.precision = 0;
    }
    if (spec.percent_axis) {
      options.scales[valueAxis].max = 100;
      options.scales[valueAxis].ticks.callback = format.percent;
      valueFormat = format.percent;
    }
    // Category labels: long ones shortened (more on a phone), whole in the tooltip's title.
    var box = canvas.parentElement || canvas;  // the canvas itself is sized by Chart.js later
    var room = box.clientWidth < 500 ? 16 : 40;
    options.scales[spec.horizontal ? "y" : "x"].ticks = {
      autoSkip: true,
      maxRotation: 45,
      callback: function (value) {
        var label = String(this.getLabelForValue(value));
        return label.length > room ? label.slice(0, room - 1) + "…" : label;
      }
    };
    options.plugins.tooltip.callbacks.label = function (ctx) {
      var raw = ctx.raw === null || ctx.raw === undefined ? "–" : valueFormat(ctx.raw);
      return ctx.dataset.label + ": " + raw;
    };
    if (links) {
      options.onClick = function (event, elements) {
        var hit = elements && elements[0];
        var url = hit && links[hit.datasetIndex] && links[hit.datasetIndex][hit.index];
        if (url) {
          window.location.assign(url);
        }
      };
      options.onHover = function (event, elements) {
        var hit = elements && elements[0];
        var url = hit && links[hit.datasetIndex] && links[hit.datasetIndex][hit.index];
        event.native.target.style.cursor = url ? "pointer" : "default";
      };
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
        var share = total ? (100 * ctx.raw) / total : 0;
        return ctx.dataset.label + ": " + format.number(ctx.raw) + " (" + format.percent(share) + ")";
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
      var chart = new Chart(canvas, build(JSON.parse(source.textContent), canvas));
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
