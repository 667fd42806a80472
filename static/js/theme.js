// Applies the saved theme before the first paint (no flash). "auto" follows the system.
(function () {
  try {
    var saved = localStorage.getItem("ops3-theme");
    if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  } catch (e) { /* storage may be disabled: stay on auto */ }
})();
