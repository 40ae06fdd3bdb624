/* The print page's one button: shown only when scripts run (without them the page says to
   use the browser's Print command), and it opens the browser's print dialogue. */
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
