#!/usr/bin/env bash
# Regenerates ledger/sample.bundle: a small format-1 ledger with a fixed clock and author.
# Only needed when the sample must change; tests read the committed bundle.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/../bin/driftctl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME='Sample Auditor' GIT_AUTHOR_EMAIL='auditor@example.test'
export GIT_COMMITTER_NAME='Sample Auditor' GIT_COMMITTER_EMAIL='auditor@example.test'
cd "$work"
git init -q -b main
mkdir -p src prompts config
printf 'print("hello")\n' > src/main.py
printf 'You are a helpful assistant.\n' > prompts/system.txt
printf 'models:\n  primary:\n    name: gpt-4o\n' > config/models.yaml
cat > driftctl.yml <<'YAML'
version: 1
sources:
  - name: files
    kind: files
    watch: ["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml"]
severity:
  default: low
  rules:
    - match: "config/**"
      severity: high
    - match: "prompts/**"
      severity: medium
YAML
DRIFTCTL_NOW=2026-01-01T09:00:00.000Z "$bin" init
printf 'models:\n  primary:\n    name: gpt-4.1\n' > config/models.yaml
printf 'You are a terse assistant.\n' > prompts/system.txt
DRIFTCTL_NOW=2026-01-02T09:00:00.000Z "$bin" check || test $? -eq 2
DRIFTCTL_NOW=2026-01-02T10:00:00.000Z "$bin" accept prompts/system.txt --reason 'prompt rewrite reviewed'
DRIFTCTL_NOW=2026-01-03T09:00:00.000Z "$bin" check || test $? -eq 2
git bundle create "$here/sample.bundle" drift-ledger
cp driftctl.yml "$here/sample.driftctl.yml"
