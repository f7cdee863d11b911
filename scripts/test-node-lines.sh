#!/usr/bin/env bash
# Runs the package, core-loop, action and bundle end-to-end tests under each current Node.js LTS
# line (default 22 and 24; or the major versions given as arguments). Each Node.js comes from the
# npm registry's `node` package (npx -y node@MAJOR), and is put first on PATH, so the test runner,
# npm, and driftctl's `#!/usr/bin/env node` all run on it. Needs a build (npm run build) first.
set -euo pipefail
cd "$(dirname "$0")/.."
majors=("$@")
[ ${#majors[@]} -eq 0 ] && majors=(22 24)
pattern='e2e/(package|core-loop|action|bundle)\.test\.js$'
for major in "${majors[@]}"; do
  dir=$(npx -y "node@${major}" -p 'require("node:path").dirname(process.execPath)')
  echo "== Node.js $("$dir/node" --version) ($dir)"
  PATH="$dir:$PATH" node node_modules/uvu/bin.js dist/tests "$pattern"
done
