// newsearch web: small improvements on pages that work without JavaScript.
"use strict";
(function () {
  // Sort and word-mode menus and the story box submit the search as soon as they change.
  document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Default choices stay out of the address, so shared links are short ("/?q=port").
  document.querySelectorAll("form.searchbox").forEach(function (form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        var unchanged = (field.name === "sort" && field.value === "relevance") ||
                        (field.name === "match" && field.value === "all");
        if (field.name && (unchanged || field.value === "")) { field.disabled = true; }
      });
    });
  });
  // Coming back to a page from the history shows the fields enabled again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form.searchbox [disabled]").forEach(function (f) { f.disabled = false; });
  });

  // "/" puts the cursor in the search box, as on most search sites.
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("q");
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (event.key === "/" && box && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // Dragging across histogram bars narrows the dates to that span (a click on
  // one bar is a plain link and needs no script).
  var svg = document.querySelector(".histogram svg");
  if (!svg) { return; }
  var bars = Array.prototype.slice.call(svg.querySelectorAll("a.bar"));
  var start = null;
  var moved = false;
  function barAt(event) {
    var element = document.elementFromPoint(event.clientX, event.clientY);
    var bar = element && element.closest ? element.closest("a.bar") : null;
    return bar && bars.indexOf(bar) >= 0 ? bar : null;
  }
  function mark(from, to) {
    var low = Math.min(from, to), high = Math.max(from, to);
    bars.forEach(function (bar, i) { bar.classList.toggle("brushed", i >= low && i <= high); });
  }
  svg.addEventListener("pointerdown", function (event) {
    var bar = barAt(event);
    if (!bar) { return; }
    start = bars.indexOf(bar);
    moved = false;
    mark(start, start);
  });
  svg.addEventListener("pointermove", function (event) {
    if (start === null) { return; }
    var bar = barAt(event);
    if (bar && bars.indexOf(bar) !== start) { moved = true; }
    if (bar) { mark(start, bars.indexOf(bar)); }
  });
  document.addEventListener("pointerup", function (event) {
    if (start === null) { return; }
    var bar = barAt(event);
    var end = bar ? bars.indexOf(bar) : start;
    var first = start;
    start = null;
    if (!moved || end === first) { mark(-1, -1); return; }
    var low = bars[Math.min(first, end)].getAttribute("data-period");
    var high = bars[Math.max(first, end)].getAttribute("data-period");
    var url = new URL(window.location.href);
    url.searchParams.set("since", low);
    url.searchParams.set("until", high);
    url.searchParams.delete("page");
    window.location.assign(url.toString());
  });
  // A drag ends with a click on the last bar: don't let it follow that bar's link.
  svg.addEventListener("click", function (event) {
    if (moved) { event.preventDefault(); moved = false; }
  }, true);
})();
