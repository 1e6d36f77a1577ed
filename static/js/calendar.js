/* The activity calendar (FullCalendar's browser bundles, served from node_modules). Every option
 * comes from the data attributes of [data-calendar] (templates/activities/calendar.html); the events
 * come from the JSON endpoint, a drop or resize posts to the reschedule endpoint through htmx (the
 * CSRF header is the body's hx-headers). A refused move is undone and its reason shown. */
(function () {
  "use strict";

  function two(n) { return (n < 10 ? "0" : "") + n; }

  // FullCalendar runs in the user's named zone without a zone plugin: its dates hold that zone's
  // wall-clock time in their UTC fields, which is what the server expects (no offset).
  function wallClock(date, allDay) {
    var day = date.getUTCFullYear() + "-" + two(date.getUTCMonth() + 1) + "-" + two(date.getUTCDate());
    if (allDay) { return day; }
    return day + "T" + two(date.getUTCHours()) + ":" + two(date.getUTCMinutes()) + ":00";
  }

  function showMessage(host, text) {
    var box = host.parentNode.querySelector("[data-calendar-message]");
    if (!box) { return; }
    box.textContent = text || "";
    box.hidden = !text;
  }

  function reschedule(host, info) {
    var event = info.event;
    var url = host.dataset.rescheduleUrl.replace(/\/0\/reschedule\/$/, "/" + event.id + "/reschedule/");
    htmx.ajax("POST", url, {
      source: host,
      swap: "none",
      values: {
        start: wallClock(event.start, event.allDay),
        all_day: event.allDay ? "true" : "false",
        version: event.extendedProps.version
      },
      handler: function (elt, response) {
        var xhr = response.xhr;
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        if (xhr.status === 200) {
          event.setExtendedProp("version", body.extendedProps.version);
          event.setProp("classNames", body.classNames);
          showMessage(host, "");
          host.dataset.lastMove = String(event.id);
          host.dispatchEvent(new CustomEvent("calendar:moved", { bubbles: true }));
          return;
        }
        info.revert();
        showMessage(host, body.error || host.dataset.errorText);
        if (xhr.status === 409) { host._calendar.refetchEvents(); }
      }
    });
  }

  function init(host) {
    if (host._calendar || typeof FullCalendar === "undefined") { return; }
    var calendar = new FullCalendar.Calendar(host, {
      initialView: host.dataset.initialView,
      initialDate: host.dataset.initialDate || undefined,
      locale: host.dataset.locale,
      timeZone: host.dataset.timeZone,
      firstDay: 1,
      nowIndicator: false,
      height: "auto",
      scrollTime: host.dataset.scrollTime,
      allDaySlot: true,
      defaultTimedEventDuration: "00:30",
      headerToolbar: { left: "prev,next today", center: "title", right: "timeGridWeek,dayGridMonth" },
      editable: false,
      eventStartEditable: true,
      eventDurationEditable: false,
      events: { url: host.dataset.eventsUrl },
      eventClick: function (info) {
        // The event's URL is its deal or lead page; FullCalendar follows it.
        if (!info.event.url) { info.jsEvent.preventDefault(); }
      },
      eventDidMount: function (info) {
        info.el.setAttribute("data-activity-id", info.event.id);
        info.el.setAttribute("title", info.event.extendedProps.kind + " · " + info.event.extendedProps.parent);
      },
      eventDrop: function (info) { reschedule(host, info); },
      datesSet: function (info) {
        var url = new URL(window.location.href);
        url.searchParams.set("view", info.view.type === "dayGridMonth" ? "month" : "week");
        url.searchParams.set("date", wallClock(info.view.currentStart, true));
        window.history.replaceState(window.history.state, "", url);
      },
      eventSourceFailure: function () { showMessage(host, host.dataset.errorText); }
    });
    host._calendar = calendar;
    calendar.render();
  }

  function initAll(root) {
    (root || document).querySelectorAll("[data-calendar]").forEach(init);
  }

  if (window.htmx) {
    // Also after htmx swaps the calendar (the "Mine" / "Team" switch).
    htmx.onLoad(function (elt) { initAll(elt.querySelectorAll ? elt : document); });
  }
  document.addEventListener("DOMContentLoaded", function () { initAll(document); });
})();
