#!/usr/bin/env bash
# The GitHub Action's one step (action.yml). Contract:
#   in:  INPUT_COMMAND, INPUT_CONFIG, INPUT_FAIL_ON_DRIFT, INPUT_PUSH_LEDGER, INPUT_LEDGER (branch
#        or remote), INPUT_LEDGER_BRANCH,
#        GITHUB_WORKSPACE (the checkout), GITHUB_OUTPUT (the step's output file), RUNNER_TEMP;
#        driftctl from PATH, else installed from npm at this action's version.
#   out: status, highest, report-id in GITHUB_OUTPUT; ledger "branch": the ledger branch fetched
#        before and pushed after when INPUT_PUSH_LEDGER is "true"; ledger "remote": `driftctl pull`
#        before, nothing pushed by git (driftctl publishes to ledger.remote itself); exit 0 clean (and drift unless
#        INPUT_FAIL_ON_DRIFT is "true"), 2 drift, 1 error.
set -uo pipefail
cd "${GITHUB_WORKSPACE:-.}"
branch="${INPUT_LEDGER_BRANCH:-drift-ledger}"
tmp="${RUNNER_TEMP:-/tmp}"

if ! command -v driftctl >/dev/null 2>&1; then
  version=$(node -p "require(process.env.DRIFTCTL_ACTION_VERSION_FILE).version")
  npm install --global --no-audit --no-fund "driftctl@${version}" >/dev/null || { echo "::error::could not install driftctl@${version}"; exit 1; }
fi

git config user.name >/dev/null || git config user.name "github-actions[bot]"
git config user.email >/dev/null || git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
mode="${INPUT_LEDGER:-branch}"
case "$mode" in branch|remote) ;; *) echo "::error::action input ledger: \"$mode\" is not branch or remote"; exit 1 ;; esac
config_args=()
[ -n "${INPUT_CONFIG:-}" ] && config_args=(--config "$INPUT_CONFIG")
if [ "$mode" = remote ]; then
  driftctl pull "${config_args[@]}" || { echo "::error::driftctl pull failed"; exit 1; }
elif git ls-remote --exit-code --heads origin "$branch" >/dev/null 2>&1; then
  git fetch --quiet origin "+refs/heads/${branch}:refs/heads/${branch}" || { echo "::error::could not fetch ${branch} from origin"; exit 1; }
else
  echo "no ${branch} branch on origin yet (driftctl init creates it; this run pushes it)"
fi

read -r -a args <<<"${INPUT_COMMAND:-check}"
args+=("${config_args[@]}")
code=0
driftctl "${args[@]}" --json >"$tmp/driftctl-output.json" || code=$?
cat "$tmp/driftctl-output.json"

# status/highest/report-id from the one JSON document (check: top-level summary and reports[]).
node - "$tmp/driftctl-output.json" "$code" >>"${GITHUB_OUTPUT:-/dev/null}" <<'JS'
const fs = require('node:fs');
const [file, code] = process.argv.slice(2);
let doc = {};
try { doc = JSON.parse(fs.readFileSync(file, 'utf8')); } catch {}
const status = code === '1' || doc.error ? 'error' : code === '2' ? 'drift' : doc.status === 'drift' || doc.status === 'error' ? doc.status : 'clean';
const summary = doc.summary ?? (doc.reports && doc.reports[0] && doc.reports[0].summary);
const highest = summary && summary.highest ? summary.highest : status === 'clean' ? 'none' : '';
const ids = (doc.reports ?? []).map((r) => r.id).filter(Boolean).join(' ');
process.stdout.write(`status=${status}\nhighest=${highest}\nreport-id=${ids}\n`);
JS

if [ "$mode" = branch ] && [ "${INPUT_PUSH_LEDGER:-true}" = "true" ] && git show-ref --verify --quiet "refs/heads/${branch}"; then
  git push --quiet origin "refs/heads/${branch}:refs/heads/${branch}" || { echo "::error::could not push ${branch} to origin"; exit 1; }
fi

if [ "$code" -eq 2 ] && [ "${INPUT_FAIL_ON_DRIFT:-false}" != "true" ]; then
  echo "drift found and recorded on the ledger (exit 2; fail-on-drift: true fails the step)"
  code=0
fi
exit "$code"
