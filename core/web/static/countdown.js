// Tick the server-computed countdowns once a minute; the server stays the source of truth.
(function () {
  function words(s) {
    var late = s < 0, a = Math.abs(s), d = Math.floor(a / 86400), h = Math.floor(a % 86400 / 3600), m = Math.floor(a % 3600 / 60);
    var t = d ? d + "天" + h + "小时" : (h ? h + "小时" + m + "分钟" : m + "分钟");
    return late ? "超期" + t : t;
  }
  var start = Date.now();
  function tick() {
    var gone = Math.floor((Date.now() - start) / 1000);
    document.querySelectorAll("[data-remaining]").forEach(function (el) {
      if (el.dataset.paused === "1") return;
      el.textContent = words(parseInt(el.dataset.remaining, 10) - gone);
    });
  }
  setInterval(tick, 60000);
})();
