// Flash-sale countdowns. The server renders the seconds left by its own clock; this only ticks
// them down, measured with the browser's monotonic timer, so a wrong device clock cannot skew
// the countdown. htmx re-renders the block now and then, which re-syncs it to the server.
(function () {
  "use strict";
  function format(left) {
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    return h + ":" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }
  function tick() {
    var now = performance.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      if (!el.dataset.startedAt) {
        el.dataset.startedAt = String(now);
      }
      var elapsed = (now - Number(el.dataset.startedAt)) / 1000;
      el.textContent = format(Math.max(0, Math.round(Number(el.dataset.seconds) - elapsed)));
    });
  }
  window.setInterval(tick, 1000);
})();
