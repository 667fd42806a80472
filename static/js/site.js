// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-theme-toggle]");
  if (!button) return;
  var root = document.documentElement;
  var dark = root.dataset.theme === "dark" ||
    (root.dataset.theme === "auto" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  root.dataset.theme = dark ? "light" : "dark";
  try { localStorage.setItem("ops3-theme", root.dataset.theme); } catch (e) { /* ignore */ }
});
