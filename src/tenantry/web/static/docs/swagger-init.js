// Starts Swagger UI on /docs/swagger. Kept out of the page so the page can forbid inline
// scripts (Content-Security-Policy: script-src 'self'). The server picks the spec URL (one of
// the registered specs) and passes it in data attributes; nothing is read from the address bar.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var specUrl = root.getAttribute("data-spec-url");
  var redirect = new URL(root.getAttribute("data-oauth2-redirect-url"), window.location.href);
  window.ui = SwaggerUIBundle({
    url: specUrl,
    domNode: root,
    layout: "BaseLayout", // no "explore" bar: only the chosen spec is shown
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    deepLinking: true,
    displayRequestDuration: true,
    queryConfigEnabled: false, // ignore ?url= / ?configUrl= in the page address
    validatorUrl: null, // the default badge loads an image from validator.swagger.io
    oauth2RedirectUrl: redirect.href,
  });
})();
