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

  // Ordering questions: the position selects work alone; add "up"/"down" buttons that move a step
  // and renumber every select, so the list on screen is the answer that will be sent.
  function renumber(fieldset) {
    fieldset.querySelectorAll(".order-row select").forEach(function (select, n) { select.value = String(n + 1); });
  }
  function enhanceOrdering(root) {
    root.querySelectorAll("fieldset.ordering:not([data-enhanced])").forEach(function (fieldset) {
      fieldset.setAttribute("data-enhanced", "");
      fieldset.querySelectorAll(".order-row").forEach(function (row) {
        var text = row.querySelector("label") ? row.querySelector("label").textContent.trim() : "step";
        [["up", "↑", "Move up: "], ["down", "↓", "Move down: "]].forEach(function (spec) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "move secondary";
          button.dataset.move = spec[0];
          button.textContent = spec[1];
          button.setAttribute("aria-label", spec[2] + text);
          row.appendChild(button);
        });
      });
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("fieldset.ordering button[data-move]");
    if (!button) return;
    var row = button.closest(".order-row");
    var fieldset = row.closest("fieldset");
    if (button.dataset.move === "up" && row.previousElementSibling && row.previousElementSibling.classList.contains("order-row")) {
      fieldset.insertBefore(row, row.previousElementSibling);
    } else if (button.dataset.move === "down" && row.nextElementSibling) {
      fieldset.insertBefore(row.nextElementSibling, row);
    }
    renumber(fieldset);
    button.focus();
  });
  document.addEventListener("DOMContentLoaded", function () { enhanceOrdering(document); });
  document.addEventListener("htmx:load", function (event) { enhanceOrdering(event.detail.elt); });
})();
