// The episode page's player: the line being spoken is marked (aria-current) as the audio plays,
// and a line or chapter seeks the audio. Without this script the page is plain, readable text.
(function () {
  "use strict";
  var audio = document.getElementById("player");
  if (!audio) return;
  var follow = document.getElementById("follow");

  function words(line, lineEnd) {
    var spans = Array.prototype.slice.call(line.querySelectorAll("[data-s]"));
    return spans.map(function (w, i) {
      var next = spans[i + 1];
      return { el: w, start: parseFloat(w.dataset.s),
               end: w.dataset.e ? parseFloat(w.dataset.e) : next ? parseFloat(next.dataset.s) : lineEnd };
    });
  }

  var cues = Array.prototype.map.call(document.querySelectorAll(".cue"), function (el) {
    return {
      el: el, start: parseFloat(el.dataset.start), end: parseFloat(el.dataset.end),
      // Word timings (from the VTT): <span data-s> per word, data-e where it ends before the next one starts.
      words: words(el, parseFloat(el.dataset.end))
    };
  });
  var current = [];
  var currentWord = null;

  function containing(t) {
    return cues.filter(function (c) { return c.start <= t && t < c.end; });
  }

  function mark() {
    var t = audio.currentTime;
    var now = containing(t);
    var same = now.length === current.length && now.every(function (c, i) { return c === current[i]; });
    if (!same) {
      current.forEach(function (c) { c.el.removeAttribute("aria-current"); });
      now.forEach(function (c) { c.el.setAttribute("aria-current", "true"); });
      if (now.length && follow && follow.checked && !audio.paused) {
        now[0].el.scrollIntoView({ block: "nearest" });
      }
      current = now;
    }
    var word = null;
    now.forEach(function (c) {
      c.words.forEach(function (w) {
        if (w.start <= t && t < w.end) word = w.el;
      });
    });
    if (word !== currentWord) {
      if (currentWord) currentWord.classList.remove("now");
      if (word) word.classList.add("now");
      currentWord = word;
    }
  }

  function tick() {
    mark();
    if (!audio.paused) window.requestAnimationFrame(tick);
  }

  function seek(seconds) {
    audio.currentTime = seconds;
    mark();
  }

  cues.forEach(function (c) {
    c.el.addEventListener("click", function () { seek(c.start); });
    c.el.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        seek(c.start);
      }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("a.chapter"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      seek(parseFloat(link.dataset.start));
    });
  });
  ["timeupdate", "seeked", "pause", "ended", "loadedmetadata"].forEach(function (name) {
    audio.addEventListener(name, mark);
  });
  audio.addEventListener("play", tick);
  mark();
})();
