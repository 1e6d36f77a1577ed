// The pipeline board: drag and drop (SortableJS) posting to the move endpoint through htmx,
// the Won/Lost drop zones, the "Move to…" dialog and the conditional poll for other users'
// changes. The server answers every board request with the columns to swap out-of-band.
(function () {
  "use strict";
  var dragging = false;
  var pollSwapping = false; // an ordinary poll answer is being swapped: skip unchanged columns
  // Board changes made from this page (drags, moves, outcomes, quick adds): a poll answer
  // computed before one of them would put the columns back as they were, so it is dropped.
  var changes = 0;
  var sent = []; // the board changes sent from this page (their requests)
  function waiting() {
    sent = sent.filter(function (xhr) { return xhr.readyState !== 4; });
    return sent.length > 0;
  }
  var pollSentAt = -1;

  function board() { return document.getElementById("board"); }
  function dialog() { return document.getElementById("board-dialog"); }

  function withQuery(url) {
    var query = board() ? board().dataset.boardQuery : "";
    return query ? url + "?" + query : url;
  }

  function dealUrl(template, dealId) {
    return withQuery(template.replace("/0/", "/" + dealId + "/"));
  }

  function showMessage(text, level) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "message message-" + (level || "error");
    div.setAttribute("role", "status");
    div.setAttribute("data-testid", "board-message");
    div.textContent = text;
    box.appendChild(div);
  }

  function cardId(el) { return el ? el.getAttribute("data-deal-id") : ""; }

  function siblingCard(el, direction) {
    var node = direction < 0 ? el.previousElementSibling : el.nextElementSibling;
    while (node && !node.classList.contains("deal-card")) {
      node = direction < 0 ? node.previousElementSibling : node.nextElementSibling;
    }
    return node;
  }

  // Where the pointer was released decides the column. SortableJS only moves the card while
  // the pointer moves, and ignores the pointer for a moment after each move (its animation):
  // a quick drag released over another column could leave the card in the column it came
  // from, so the card "jumped back" after a move the user saw land. Put it where the user let go.
  function releasedOver(evt, card) {
    var e = evt.originalEvent;
    var point = e && e.changedTouches && e.changedTouches.length ? e.changedTouches[0] : e;
    if (!point || typeof point.clientX !== "number") { return null; }
    var el = document.elementFromPoint(point.clientX, point.clientY);
    var column = el && el.closest(".board-column");
    if (!column) { return null; }
    var list = column.querySelector(".card-list");
    var under = el.closest(".deal-card");
    if (!list || list === evt.to || card.contains(el)) { return null; }
    if (under && under.parentNode === list) {
      var box = under.getBoundingClientRect();
      list.insertBefore(card, point.clientY > box.top + box.height / 2 ? under.nextElementSibling : under);
    } else {
      list.insertBefore(card, list.querySelector(".load-more"));
    }
    return list;
  }

  function onDrop(evt) {
    var card = evt.item;
    if (evt.to.classList.contains("dropzone")) { return; }
    var to = releasedOver(evt, card) || evt.to;
    if (evt.from === to && evt.oldIndex === evt.newIndex) { return; }
    var cards = Array.prototype.filter.call(to.children, function (el) {
      return el.classList.contains("deal-card");
    });
    var values = {
      stage: to.getAttribute("data-stage-id"),
      from_stage: evt.from.getAttribute("data-stage-id"),
      version: card.getAttribute("data-version"),
      position: String(cards.indexOf(card)),
      after: cardId(siblingCard(card, -1)) || "",
      before: cardId(siblingCard(card, 1)) || ""
    };
    card.classList.add("is-saving");
    htmx.ajax("POST", dealUrl(board().dataset.moveUrl, cardId(card)), { source: card, swap: "none", values: values });
  }

  function onOutcomeDrop(evt) {
    var card = evt.item;
    var outcome = evt.to.getAttribute("data-outcome");
    // The card goes back until the server has spoken; the answer re-renders its column.
    evt.from.insertBefore(card, evt.from.children[evt.oldIndex] || null);
    var dealId = cardId(card);
    if (outcome === "won") {
      // A win starts the post-sale follow-ups: ask first (like the card's Won button).
      var title = card.querySelector(".deal-title");
      var question = board().getAttribute("data-won-confirm").replace("%(title)s", title ? title.textContent : "");
      if (!window.confirm(question)) { return; }
      htmx.ajax("POST", dealUrl(board().dataset.winUrl, dealId), {
        source: card, swap: "none", values: { version: card.getAttribute("data-version"), from: "board" }
      });
    } else {
      var url = dealUrl(board().dataset.moveUrl, dealId);
      url += (url.indexOf("?") < 0 ? "?" : "&") + "outcome=lost";
      htmx.ajax("GET", url, { source: card, target: "#board-dialog-body", swap: "innerHTML" });
    }
  }

  function initSortables(root) {
    if (typeof Sortable === "undefined" || !root.querySelectorAll) { return; }
    var lists = Array.prototype.slice.call(root.querySelectorAll(".card-list, .dropzone"));
    if (root.matches && root.matches(".card-list, .dropzone")) { lists.push(root); }
    lists.forEach(function (list) {
      if (list.getAttribute("data-sortable") === "1") { return; }
      list.setAttribute("data-sortable", "1");
      var isZone = list.classList.contains("dropzone");
      Sortable.create(list, {
        group: isZone ? { name: "board", pull: false, put: true } : "board",
        // Cards of other people's deals are read-only: they cannot be picked up.
        draggable: ".deal-card:not(.is-readonly)",
        // The whole card is the handle (its title link too: draggable="false" on the link lets
        // the card, not the link, be dragged; a click still opens the deal). Not the actions.
        filter: ".card-actions a, button, input, select, summary, .card-actions form",
        preventOnFilter: false,
        animation: 120,
        ghostClass: "is-ghost",
        onStart: function () { dragging = true; changes += 1; document.body.classList.add("is-dragging"); },
        onEnd: function (evt) {
          dragging = false;
          document.body.classList.remove("is-dragging");
          onDrop(evt);
        },
        onAdd: isZone ? onOutcomeDrop : undefined
      });
    });
  }

  htmx.onLoad(initSortables);

  // --- The keyboard: every card is a tab stop (docs/board.md, "Keyboard") -----------------
  // Enter opens the deal, M opens its "Move to…" dialog, Alt+ArrowRight / Alt+ArrowLeft move it
  // to the next / previous stage through the move endpoint, like a drop at the top of that
  // column. The answer re-renders the columns; the card then gets the focus back and the
  // live region says where it went (a refusal shows its message like a refused drag).
  var focusAfterMove = null; // {id, stage} of the card moved from the keyboard

  function live() { return document.getElementById("board-live"); }

  function stageName(column) {
    var heading = column && column.querySelector("h2");
    return heading && heading.firstChild ? heading.firstChild.textContent.trim() : "";
  }

  function keyboardMove(card, direction) {
    var column = card.closest(".board-column");
    var target = column;
    do {
      target = direction < 0 ? target.previousElementSibling : target.nextElementSibling;
    } while (target && !target.classList.contains("board-column"));
    if (!target) { return; }
    var list = target.querySelector(".card-list");
    var first = list && list.querySelector(".deal-card");
    focusAfterMove = { id: cardId(card), stage: target.getAttribute("data-stage-id"), name: stageName(target) };
    card.classList.add("is-saving");
    htmx.ajax("POST", dealUrl(board().dataset.moveUrl, cardId(card)), {
      source: card,
      swap: "none",
      values: {
        stage: target.getAttribute("data-stage-id"),
        from_stage: column.getAttribute("data-stage-id"),
        version: card.getAttribute("data-version"),
        position: "0",
        after: "",
        before: cardId(first) || ""
      }
    });
  }

  document.body.addEventListener("keydown", function (evt) {
    var card = evt.target;
    if (!card.classList || !card.classList.contains("deal-card") || !board()) { return; }
    var changeable = !card.classList.contains("is-readonly") && card.querySelector(".move-link[hx-get]");
    if (evt.key === "Enter" && !evt.altKey && !evt.ctrlKey && !evt.metaKey) {
      var title = card.querySelector(".deal-title");
      if (title) { evt.preventDefault(); window.location.assign(title.href); }
    } else if ((evt.key === "m" || evt.key === "M") && !evt.altKey && !evt.ctrlKey && !evt.metaKey && changeable) {
      evt.preventDefault();
      card.querySelector(".move-link[hx-get]").click();
    } else if (evt.altKey && (evt.key === "ArrowRight" || evt.key === "ArrowLeft") && changeable) {
      evt.preventDefault();
      keyboardMove(card, evt.key === "ArrowLeft" ? -1 : 1);
    }
  });

  // The answer's columns are swapped in one by one: the one that holds the card gives it
  // the focus back.
  htmx.onLoad(function (root) {
    if (!focusAfterMove || !root.querySelector) { return; }
    var card = root.querySelector('.deal-card[data-deal-id="' + focusAfterMove.id + '"]');
    if (!card) { return; }
    var moved = focusAfterMove;
    focusAfterMove = null;
    card.focus();
    var list = card.closest(".card-list");
    if (live() && list && list.getAttribute("data-stage-id") === moved.stage) {
      live().textContent = live().getAttribute("data-moved").replace("{stage}", moved.name);
    }
  });

  // --- Collapsed columns and compact mode, remembered in this browser ----------------------
  function remembered(key, fallback) {
    try { return JSON.parse(window.localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function remember(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: not kept */ }
  }
  function collapsedKey() {
    var stages = document.querySelector(".board[data-pipeline-id]");
    return "crm.board." + (stages ? stages.getAttribute("data-pipeline-id") : "0") + ".collapsed";
  }
  function setCollapsed(column, collapsed) {
    column.classList.toggle("is-collapsed", collapsed);
    var button = column.querySelector("[data-column-collapse]");
    if (button) { button.setAttribute("aria-expanded", collapsed ? "false" : "true"); }
  }
  function applyCollapsed(root) {
    if (!root.querySelectorAll) { return; }
    var collapsed = remembered(collapsedKey(), []);
    var columns = Array.prototype.slice.call(root.querySelectorAll(".board-column"));
    if (root.matches && root.matches(".board-column")) { columns.push(root); }
    columns.forEach(function (column) {
      setCollapsed(column, collapsed.indexOf(column.getAttribute("data-stage-id")) >= 0);
    });
  }
  function setCompact(on) {
    document.body.classList.toggle("board-compact", on);
    var toggle = document.querySelector("[data-board-compact]");
    if (toggle) { toggle.setAttribute("aria-pressed", on ? "true" : "false"); }
  }
  htmx.onLoad(applyCollapsed);
  if (board()) { setCompact(remembered("crm.board.compact", false) === true); }

  document.body.addEventListener("click", function (evt) {
    var collapse = evt.target.closest("[data-column-collapse]");
    if (collapse) {
      var column = collapse.closest(".board-column");
      var id = column.getAttribute("data-stage-id");
      var collapsed = remembered(collapsedKey(), []).filter(function (x) { return x !== id; });
      var now = !column.classList.contains("is-collapsed");
      if (now) { collapsed.push(id); }
      remember(collapsedKey(), collapsed);
      setCollapsed(column, now);
      return;
    }
    if (evt.target.closest("[data-board-compact]")) {
      var on = !document.body.classList.contains("board-compact");
      remember("crm.board.compact", on);
      setCompact(on);
    }
  });

  // A saved view takes the board's filters as they are now (htmx filtering changes the URL
  // without a reload).
  document.body.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-board-view-save]")) { return; }
    var query = form.querySelector("input[name=query]");
    if (query) { query.value = window.location.search.replace(/^\?/, ""); }
  });

  // --- Phones: one stage at a time, chosen with the picker or by swiping ------------------
  document.body.addEventListener("change", function (evt) {
    if (!evt.target.matches || !evt.target.matches("[data-stage-picker]")) { return; }
    var column = document.getElementById("column-" + evt.target.value);
    var stages = column && column.parentNode;
    if (stages) { stages.scrollTo({ left: column.offsetLeft - stages.offsetLeft, behavior: "smooth" }); }
  });
  document.addEventListener("scroll", function (evt) {
    var stages = evt.target;
    if (!stages.classList || !stages.classList.contains("board") || !stages.clientWidth) { return; }
    var picker = document.querySelector("[data-stage-picker]");
    var columns = stages.querySelectorAll(".board-column");
    var index = Math.round(stages.scrollLeft / stages.clientWidth);
    if (picker && columns[index] && window.matchMedia("(max-width: 640px)").matches) {
      picker.value = columns[index].getAttribute("data-stage-id");
    }
  }, true);

  // A refused move of a deal the user cannot see (404) asks for a full refresh: forget the
  // ETag so that the next poll re-renders every column instead of answering 304.
  var forceRefresh = false;
  document.body.addEventListener("board-refresh", function () { forceRefresh = true; });

  document.body.addEventListener("htmx:configRequest", function (evt) {
    if (evt.detail.elt.id !== "board-poll") {
      if (board() && evt.detail.verb !== "get") { changes += 1; }
      return;
    }
    if (dragging || waiting() || (dialog() && dialog().open)) { evt.preventDefault(); return; }
    pollSentAt = changes;
    var etag = board() && board().dataset.etag;
    if (etag && !forceRefresh) { evt.detail.headers["If-None-Match"] = etag; }
    evt.detail.elt.setAttribute("data-forced", forceRefresh ? "1" : "");
    forceRefresh = false;
  });

  // Every answer to a board request is handled here, refusals included: keep it from
  // reaching handlers further up, such as django-htmx's DEBUG script, which replaces the
  // whole page with the body of any 400/403/404/500 answer (base.html does not load it).
  document.body.addEventListener("htmx:beforeOnLoad", function (evt) {
    if (board() && evt.detail.xhr && evt.detail.xhr.status >= 400) { evt.stopPropagation(); }
  });

  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    var isPoll = evt.detail.elt.id === "board-poll";
    pollSwapping = isPoll && evt.detail.elt.getAttribute("data-forced") !== "1";
    if (isPoll) {
      if (xhr.status === 304 || dragging || pollSentAt !== changes) {
        // Unchanged, or older than a change made here meanwhile (its ETag is stale too).
        evt.detail.shouldSwap = false;
        return;
      }
      if (xhr.status === 200 && board()) { board().dataset.etag = xhr.getResponseHeader("ETag") || ""; }
      return;
    }
    if (xhr.status >= 400 && xhr.status < 500 && board()) {
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") === 0) {
        // A refusal carries the message and the columns as they really are, out of band
        // (the server sends HX-Reswap: none, so nothing else lands): swap them.
        evt.detail.shouldSwap = true;
        evt.detail.isError = false;
        evt.detail.swapOverride = "none";
      } else {
        showMessage(xhr.responseText, "error");
        forceRefresh = true;
        htmx.trigger(document.body, "board-refresh");
      }
    }
  });

  document.body.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target.classList || !target.classList.contains("board-column")) { return; }
    if (!pollSwapping) { return; }
    var incoming = evt.detail.fragment.querySelector ? evt.detail.fragment.querySelector(".board-column") : null;
    // A poll leaves alone the columns that did not change, and everything during a drag.
    if (dragging || (incoming && incoming.getAttribute("data-signature") === target.getAttribute("data-signature"))) {
      evt.detail.shouldSwap = false;
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (evt) {
    var ok = evt.detail.xhr && evt.detail.xhr.status < 300;
    if (ok && evt.detail.target.id === "board-dialog-body" && dialog()) {
      if (!dialog().open) { dialog().showModal(); }
      var outcome = dialog().querySelector(".move-dialog");
      var focus = outcome && outcome.getAttribute("data-outcome") === "lost"
        ? dialog().querySelector(".lost-form select") : dialog().querySelector(".move-form select");
      if (focus) { focus.focus(); }
    }
  });

  document.body.addEventListener("board-dialog-close", function () {
    if (dialog() && dialog().open) { dialog().close(); }
  });

  document.body.addEventListener("click", function (evt) {
    var closer = evt.target.closest("[data-dialog-close]");
    if (closer && dialog() && dialog().contains(closer)) {
      evt.preventDefault();
      dialog().close();
    }
  });

  // A request that never got an answer (network down, server error) may have left a card
  // where the user dropped it: say so and re-render every column from the server's truth.
  function resync(evt) {
    if (!board() || evt.detail.elt.id === "board-poll") { return; }
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (status && status < 500) { return; }
    showMessage(board().getAttribute(status ? "data-server-error-message" : "data-error-message"), "error");
    forceRefresh = true;
    htmx.trigger(document.body, "board-refresh");
  }
  document.body.addEventListener("htmx:sendError", resync);
  document.body.addEventListener("htmx:responseError", resync);

  // (The card that sent a move is replaced by the answer before htmx:afterRequest, so the
  // requests are watched themselves rather than counted.)
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var config = evt.detail.requestConfig;
    if (board() && evt.detail.elt.id !== "board-poll" && config && config.verb !== "get") { sent.push(evt.detail.xhr); }
  });

  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var card = evt.detail.elt;
    if (card && card.classList && card.classList.contains("is-saving")) { card.classList.remove("is-saving"); }
  });
})();
