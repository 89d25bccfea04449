// The events calendar (templates/activities/calendar.html): FullCalendar 6 (global build) on
// #events-calendar, whose data attributes say
//   data-events-url   GET ?start=&end=&who=mine|team|users&users=1,2 ->
//                     {"events": [...], "capped": bool, "message"?: text} or 400 {"error": text}
//   data-move-url     POST pk, start, end, all_day, version (X-CSRFToken header) ->
//                     {"ok": true, "message", "event"} or 4xx {"ok": false, "error"}
//   data-new-url      where a click on an empty day or slot goes (?start=<ISO>)
//   data-can-change / data-can-create   "1" when allowed
// A refused move or resize puts the event back and says why in #calendar-status.
// The "whose calendar" form (#calendar-who) reloads the events when it changes.
//
// Loaded BEFORE FullCalendar: FullCalendar puts its CSS, rule by rule, into the first
// <style data-fullcalendar> it finds. This one drops the @font-face of its icon font (a data:
// URL, which the Content-Security-Policy's font-src 'self' refuses, with a console error);
// events_calendar.css draws the icons with plain characters instead.
(function () {
  "use strict";

  function prepareStyles() {
    if (document.querySelector("style[data-fullcalendar]")) return;
    var meta = document.querySelector('meta[name="csp-nonce"]');
    var style = document.createElement("style");
    style.setAttribute("data-fullcalendar", "");
    if (meta) style.nonce = meta.getAttribute("content");
    document.head.appendChild(style);
    var sheet = style.sheet;
    if (!sheet) return;
    var insert = sheet.insertRule.bind(sheet);
    sheet.insertRule = function (rule, index) {
      var at = Math.min(index === undefined ? sheet.cssRules.length : index, sheet.cssRules.length);
      if (/^\s*@font-face/.test(rule)) return at;
      return insert(rule, at);
    };
  }
  if (document.getElementById("events-calendar-styles")) prepareStyles();

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function init() {
    var el = document.getElementById("events-calendar");
    if (!el || !window.FullCalendar) return;
    var status = document.getElementById("calendar-status");
    var form = document.getElementById("calendar-who");
    var canChange = el.dataset.canChange === "1";
    var canCreate = el.dataset.canCreate === "1";
    var csrf = el.dataset.csrf || cookie("csrftoken");

    function say(text, ok) {
      if (!status) return;
      status.textContent = text || "";
      status.className = "alert " + (ok ? "alert-success" : "alert-danger") + (text ? "" : " d-none");
    }

    function who() {
      var data = new FormData(form);
      return { who: data.get("who") || "mine", users: data.getAll("users") };
    }

    function load(info, success, failure) {
      var chosen = who();
      var params = new URLSearchParams({ start: info.startStr, end: info.endStr, who: chosen.who });
      if (chosen.who === "users") params.set("users", chosen.users.join(","));
      fetch(el.dataset.eventsUrl + "?" + params.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (answer) {
          if (!answer.ok) {
            say(answer.body.error, false);
            failure(new Error(answer.body.error));
            return;
          }
          if (answer.body.capped) say(answer.body.message, false);
          success(answer.body.events);
        })
        .catch(function () {
          say(el.dataset.loadFailed, false);
          failure(new Error(el.dataset.loadFailed));
        });
    }

    function save(info) {
      var event = info.event;
      var body = new URLSearchParams({
        pk: event.id,
        start: event.startStr,
        end: event.endStr || "",
        all_day: event.allDay ? "true" : "false",
        version: String(event.extendedProps.version),
      });
      event.setProp("classNames", event.classNames.concat(["ev-busy"]));
      fetch(el.dataset.moveUrl, {
        method: "POST",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/x-www-form-urlencoded",
          "X-CSRFToken": csrf,
        },
        credentials: "same-origin",
        body: body.toString(),
      })
        .then(function (response) {
          return response.json().then(function (answer) {
            return { ok: response.ok && answer.ok, answer: answer };
          });
        })
        .then(function (result) {
          if (!result.ok) {
            info.revert();
            say(result.answer.error, false);
            return;
          }
          var saved = result.answer.event;
          event.setExtendedProp("version", saved.extendedProps.version);
          event.setProp("classNames", saved.classNames);
          say(result.answer.message, true);
        })
        .catch(function () {
          info.revert();
          say(el.dataset.failed, false);
        });
    }

    var calendar = new window.FullCalendar.Calendar(el, {
      locale: document.documentElement.lang || "fr",
      // Piste's time zone by name (no time zone plugin): event times come and go as wall-clock
      // times of that zone, the same on every user's machine.
      timeZone: el.dataset.timeZone || "local",
      initialView: "dayGridMonth",
      initialDate: el.dataset.initialDate || undefined,
      headerToolbar: {
        left: "prev,next today",
        center: "title",
        right: "dayGridMonth,timeGridWeek,timeGridDay",
      },
      firstDay: 1,
      nowIndicator: true,
      dayMaxEvents: true,
      height: "auto",
      editable: canChange,
      // Dragging between the all-day row and the hours is refused by the server: not offered.
      eventAllow: function (dropInfo, dragged) {
        return dropInfo.allDay === dragged.allDay;
      },
      events: load,
      eventSourceFailure: function () {},
      eventDrop: save,
      eventResize: save,
      dateClick: function (info) {
        if (!canCreate) return;
        window.location.href = el.dataset.newUrl + "?" + new URLSearchParams({ start: info.dateStr });
      },
    });
    calendar.render();
    el.calendar = calendar;

    if (form) {
      var list = form.querySelector("select[name=users]");
      form.addEventListener("change", function (e) {
        if (e.target === list) {
          var radio = form.querySelector("input[name=who][value=users]");
          if (radio) radio.checked = true;
        }
        say("", true);
        calendar.refetchEvents();
      });
    }
  }

  // Run before FullCalendar's own deferred scripts: start once they have run too.
  if (window.FullCalendar) init();
  else document.addEventListener("DOMContentLoaded", init);
})();

// The feed page: a [data-copy="<selector>"] button copies that field's value.
document.addEventListener("click", function (e) {
  var button = e.target.closest ? e.target.closest("[data-copy]") : null;
  if (!button) return;
  var field = document.querySelector(button.dataset.copy);
  if (!field) return;
  field.select();
  var done = function () {
    button.textContent = button.dataset.copied || "OK";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () {});
  } else if (document.execCommand("copy")) {
    done();
  }
});
