// The lab console: Enter sends the line (htmx posts the form), the arrow keys walk the history,
// the answer scrolls into view. Without JavaScript the form still posts and the page reloads.
(function () {
  "use strict";

  function setup() {
    var form = document.getElementById("console-form");
    var input = document.getElementById("console-input");
    var output = document.getElementById("console-output");
    if (!form || !input || !output) return;
    var history = [];
    output.querySelectorAll(".entry .line").forEach(function (el) {
      if (el.textContent.trim()) history.push(el.textContent);
    });
    var position = history.length;
    var draft = "";

    function scrollDown() { output.scrollTop = output.scrollHeight; }
    scrollDown();

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowUp") {
        if (position === history.length) draft = input.value;
        if (position > 0) { position -= 1; input.value = history[position]; }
        event.preventDefault();
      } else if (event.key === "ArrowDown") {
        if (position < history.length) {
          position += 1;
          input.value = position === history.length ? draft : history[position];
        }
        event.preventDefault();
      }
    });

    form.addEventListener("htmx:beforeRequest", function () {
      var line = input.value;
      if (line.trim() && history[history.length - 1] !== line) history.push(line);
      position = history.length;
      draft = "";
      form.closest(".console").classList.add("busy");
    });
    form.addEventListener("htmx:afterRequest", function (event) {
      form.closest(".console").classList.remove("busy");
      if (event.detail.successful) input.value = "";
      scrollDown();
      input.focus();
    });
    form.addEventListener("htmx:responseError", function () {
      var div = document.createElement("div");
      div.className = "entry failed";
      div.textContent = "(the server did not answer; try again)";
      output.appendChild(div);
      scrollDown();
    });
    output.addEventListener("click", function () {
      if (!window.getSelection().toString()) input.focus();
    });
    input.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
