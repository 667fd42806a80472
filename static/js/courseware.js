// Checkpoints answered in place with htmx. Without JavaScript the same forms post normally.
(function () {
  // Answers that are not recorded come back as 4xx fragments with the reason: show them in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && event.detail.xhr.responseText) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // After a swap, move keyboard focus to the feedback (or the error) so it is read out and reachable.
  document.addEventListener("htmx:afterSwap", function (event) {
    var question = event.detail.target && event.detail.target.id ? document.getElementById(event.detail.target.id) : null;
    if (!question) return;
    var focus = question.querySelector("[role=alert]") || question.querySelector(".result");
    if (focus) {
      if (!focus.hasAttribute("tabindex")) focus.setAttribute("tabindex", "-1");
      focus.focus();
    }
  });
})();
