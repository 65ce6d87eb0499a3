// Starts ReDoc on /docs/redoc. Kept out of the page so the page can forbid inline scripts
// (Content-Security-Policy: script-src 'self'). The server picks the spec URL (one of the
// registered specs) and passes it in a data attribute.
(function () {
  "use strict";
  var root = document.getElementById("redoc");
  var specUrl = root.getAttribute("data-spec-url");
  var system = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
  var mono = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";
  Redoc.init(
    specUrl,
    {
      // ReDoc never fetches fonts itself; its default theme just names Roboto/Montserrat,
      // which its sample page pulls from Google Fonts. Use what the system has instead.
      theme: {
        typography: {
          fontFamily: system,
          headings: { fontFamily: system },
          code: { fontFamily: mono },
        },
      },
      expandResponses: "200,201",
    },
    root
  );
})();
