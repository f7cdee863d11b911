/**
 * The config `driftctl init` writes when none exists: watch everything that is not obviously
 * generated, and rank configuration and prompts above code. Users are expected to edit it.
 */
export const STARTER_CONFIG = `# driftctl configuration: see README.md ("Configuration") for every field.
version: 1
ledger:
  branch: drift-ledger
sources:
  - name: files
    kind: files
    root: .
    watch: ["**/*"]
    ignore:
      - "node_modules/"
      - "**/__pycache__/"
      - ".venv/"
      - "dist/"
      - "build/"
      - "*.log"
    # Keep the text of prompts and config files in the ledger (redacted) so reports show diffs
    # (README "Captured content"); binary and files over capture_max_bytes keep only their hash.
    capture: ["prompts/**", "**/prompts/**", "config/**", "*.yaml", "*.yml", "*.json", "*.toml", "*.ini", "*.conf", "*.cfg", "Dockerfile"]
    # structured: ["config/**/*.yaml", "config/**/*.json"]   # field-level drift (README "Structured files")
    # ignore_fields: ["/generated_at"]
# More kinds (README "Sources beyond files"): command (docker images, sha256sum over ssh), http,
# terraform (refresh-only plan JSON), kubernetes (kubectl/helm), metrics (cpu_percent > 80 for 5m).
severity:
  default: low
  rules:
    - match: ["config/**", "*.env", "**/*.tf"]
      severity: high
    - match: ["prompts/**", "models/**"]
      severity: medium
    - match: ["*.md", "docs/**"]
      severity: info
# alerts:                         # see README.md ("Alerts")
#   channels:
#     - kind: console
#     - kind: slack
#       webhook_env: SLACK_WEBHOOK_URL
#       min_severity: high
#     # more kinds: file, webhook, email (SMTP), sms (Twilio-compatible API), pagerduty (Events API v2)
`;

/**
 * The starter config with a first line that points editors running yaml-language-server (VS Code's
 * YAML extension and others) at the installed package's config schema, so they complete and
 * validate the file: `schemaRef` is a path relative to the config's folder when the package is
 * installed inside the repository (node_modules/driftctl/…), otherwise an absolute path.
 */
export function starterConfig(schemaRef: string): string {
  return `# yaml-language-server: $schema=${schemaRef}\n${STARTER_CONFIG}`;
}
