#!/usr/bin/env bash
# Re-vendor the offline API docs assets (Swagger UI 5, ReDoc 2) into the package.
#
#   scripts/vendor_docs_assets.sh                 # the pinned versions below (reproducible)
#   scripts/vendor_docs_assets.sh 5 2             # the newest 5.x Swagger UI and 2.x ReDoc
#   scripts/vendor_docs_assets.sh 5.35.0 2.5.4    # exact versions
#
# Needs node/npm and the npm registry. Fetches the packages with `npm pack` into a temporary
# folder (no node_modules), copies only the files the docs pages load plus their licences,
# refuses a bundle that references a CDN or web fonts it has not been audited for, and
# rewrites src/tenantry/web/static/vendor/VERSIONS.md. Review the diff, then commit.
set -euo pipefail

SWAGGER_UI_VERSION="${1:-5.35.0}"
REDOC_VERSION="${2:-2.5.4}"

cd "$(dirname "$0")/.."
VENDOR="src/tenantry/web/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

say() { echo "vendor_docs_assets: $*" >&2; }

# pack NAME SPEC -> prints "version integrity" and leaves $WORK/NAME/package/
pack() {
  local name="$1" spec="$2" meta
  meta="$(cd "$WORK" && npm pack --silent --json "$spec")"
  local version integrity filename
  version="$(node -e 'const m=JSON.parse(process.argv[1])[0]; console.log(m.version)' "$meta")"
  integrity="$(node -e 'const m=JSON.parse(process.argv[1])[0]; console.log(m.integrity)' "$meta")"
  filename="$(node -e 'const m=JSON.parse(process.argv[1])[0]; console.log(m.filename)' "$meta")"
  mkdir -p "$WORK/$name"
  tar -xzf "$WORK/$filename" -C "$WORK/$name"
  echo "$version $integrity"
}

read -r SWAGGER_UI_RESOLVED SWAGGER_UI_INTEGRITY < <(pack swagger-ui "swagger-ui-dist@$SWAGGER_UI_VERSION")
read -r REDOC_RESOLVED REDOC_INTEGRITY < <(pack redoc "redoc@$REDOC_VERSION")
[[ "$SWAGGER_UI_RESOLVED" == 5.* ]] || { say "swagger-ui-dist $SWAGGER_UI_RESOLVED is not 5.x"; exit 1; }
[[ "$REDOC_RESOLVED" == 2.* ]] || { say "redoc $REDOC_RESOLVED is not 2.x"; exit 1; }
say "swagger-ui-dist $SWAGGER_UI_RESOLVED, redoc $REDOC_RESOLVED"

SWAGGER_FILES=(
  swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png
  oauth2-redirect.html oauth2-redirect.js LICENSE NOTICE
)
REDOC_FILES=(bundles/redoc.standalone.js bundles/redoc.standalone.js.LICENSE.txt LICENSE)

rm -rf "$VENDOR/swagger-ui" "$VENDOR/redoc"
mkdir -p "$VENDOR/swagger-ui" "$VENDOR/redoc"
for f in "${SWAGGER_FILES[@]}"; do cp "$WORK/swagger-ui/package/$f" "$VENDOR/swagger-ui/"; done
for f in "${REDOC_FILES[@]}"; do cp "$WORK/redoc/package/$f" "$VENDOR/redoc/"; done
chmod 0644 "$VENDOR"/swagger-ui/* "$VENDOR"/redoc/*

# The one patch: ReDoc's sidebar footer ("API docs by Redocly") always renders
# <img src="https://cdn.redoc.ly/redoc/logo-mini.svg"> and no ReDoc option turns it off.
# Point it at an empty data: URL instead; the image's own onError then hides it. (The pages'
# CSP, img-src 'self' data: blob:, would block the request anyway, with a console error.)
REDOC_JS="$VENDOR/redoc/redoc.standalone.js"
REDOC_ORIGINAL_SHA256="$(sha256sum "$REDOC_JS" | cut -d' ' -f1)"
LOGO='https://cdn.redoc.ly/redoc/logo-mini.svg'
count="$(grep -o -F "\"$LOGO\"" "$REDOC_JS" | wc -l)"
[[ "$count" == 1 ]] || { say "expected ReDoc's logo URL once, found it $count times"; exit 1; }
sed -i "s#\"$LOGO\"#\"data:,\"#" "$REDOC_JS"

# Audit: nothing may load from a CDN or a font service at run time; any hit fails.
PATTERN='cdn\.|fonts\.googleapis|fonts\.gstatic|unpkg\.com|jsdelivr|cdnjs|@import url'
hits="$(grep -o -E ".{0,40}($PATTERN)[^\"' )]*" "$VENDOR"/swagger-ui/*.js "$VENDOR"/swagger-ui/*.css \
  "$VENDOR"/swagger-ui/*.html "$VENDOR"/redoc/*.js || true)"
if [[ -n "$hits" ]]; then
  say "unaudited CDN/font references in the vendored bundles:"
  echo "$hits" >&2
  exit 1
fi

SHIPPED=()
for f in "${SWAGGER_FILES[@]}"; do SHIPPED+=("swagger-ui/$f"); done
for f in "${REDOC_FILES[@]}"; do SHIPPED+=("redoc/$(basename "$f")"); done
(cd "$VENDOR" && sha256sum "${SHIPPED[@]}" >/dev/null)  # fail loudly before writing

checksums() {
  (cd "$VENDOR" && sha256sum "$@" | sed 's/^/    /')
}

cat >"$VENDOR/VERSIONS.md" <<EOF
# Vendored API docs assets

Written by \`scripts/vendor_docs_assets.sh\`; do not edit by hand.

| package | version | npm integrity |
|---|---|---|
| swagger-ui-dist | $SWAGGER_UI_RESOLVED | \`$SWAGGER_UI_INTEGRITY\` |
| redoc | $REDOC_RESOLVED | \`$REDOC_INTEGRITY\` |

Swagger UI is Apache-2.0 (\`swagger-ui/LICENSE\`, \`swagger-ui/NOTICE\`); ReDoc is MIT
(\`redoc/LICENSE\`). The \`*.LICENSE.txt\` files list the licences of the code bundled inside.

Only the files the pages in \`tenantry/web/templates/docs/\` load are kept: the Swagger UI
bundle (\`BaseLayout\`, so no standalone preset and no "explore" URL bar), its CSS, favicon and
the OAuth2 redirect page; the ReDoc standalone bundle. Source maps are not shipped, so the
bundles' \`sourceMappingURL\` comments 404 when browser dev tools are open; that is harmless.

## Refresh

    scripts/vendor_docs_assets.sh              # re-fetch the versions above
    scripts/vendor_docs_assets.sh 5 2          # newest Swagger UI 5.x and ReDoc 2.x
    scripts/vendor_docs_assets.sh 5.35.0 2.5.4 # exact versions

then update the defaults at the top of the script, run \`tests/web/test_docs.py\`, look at
\`/docs/swagger\` and \`/docs/redoc\` in a browser with the network tab open, and commit.

## CDN and font audit

The script greps the shipped JS/CSS/HTML for CDN and font hosts and fails on anything new.
What it found:

- \`redoc.standalone.js\` renders the sidebar footer "API docs by Redocly" with an
  \`<img src="https://cdn.redoc.ly/redoc/logo-mini.svg">\` unconditionally (no ReDoc option
  turns it off). **Patched**: the script replaces that one URL with \`data:,\`, so the image
  fails locally and its own \`onError\` hides it. This is the only change to any vendored
  file; the npm original's sha256 is
  \`$REDOC_ORIGINAL_SHA256\`.
  The docs pages also send a Content-Security-Policy (\`script-src 'self'\`, \`img-src 'self' data: blob:\`,
  \`connect-src 'self'\`, ...), so nothing from another origin loads even after a refresh.
- ReDoc does not load Google Fonts itself: its README's sample page adds a
  \`fonts.googleapis.com\` \`<link>\`, which our page does not. Its default theme names
  Roboto/Montserrat; our page sets ReDoc's \`theme.typography\` option to system font stacks.
- Swagger UI's online validator badge defaults to \`https://validator.swagger.io\`; the page
  passes \`validatorUrl: null\`. No other remote URL is loaded by either bundle.

## sha256

$(checksums "${SHIPPED[@]}")
EOF
say "wrote $VENDOR (see VERSIONS.md)"
