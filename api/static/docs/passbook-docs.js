// Red Passbook: starts the vendored Swagger UI on this service's own OpenAPI document.
// A file, not an inline script, so the page's Content-Security-Policy allows scripts from
// the service alone ('self'). validatorUrl null: no call to the public validator.
(function () {
  "use strict";
  var container = document.getElementById("swagger-container");
  window.ui = SwaggerUIBundle({
    url: container.getAttribute("data-spec-url"),
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
