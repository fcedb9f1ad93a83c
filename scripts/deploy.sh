#!/usr/bin/env bash
# The deploy gate: deploys the Worker only if every bundle (every version of every model) passes
# `wasmpredict check` natively AND the built Worker replays every golden row in workerd; prints,
# for each new version of a model, how often it agrees with the live version on both versions'
# golden rows.
#   scripts/deploy.sh [--dry-run] [--models DIR] [--live-url URL]
# --dry-run   run the gate, do not deploy (./test.sh runs it this way on the committed bundles)
# --models    the models directory to deploy (default models/)
# --live-url  the running deployment, whose live versions the agreement is measured against
#             (default: the live versions of the models directory)
# Deploying needs `npx wrangler login` (or CLOUDFLARE_API_TOKEN) and, once, the admin token:
# `npx wrangler secret put ADMIN_TOKEN`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

DRY_RUN="" MODELS="models" LIVE_URL=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1; shift ;;
        --models) MODELS="${2:?--models needs a directory}"; shift 2 ;;
        --live-url) LIVE_URL="${2:?--live-url needs a URL}"; shift 2 ;;
        *) die "unknown argument $1 (scripts/deploy.sh [--dry-run] [--models DIR] [--live-url URL])" ;;
    esac
done
need_rust
need_node_modules

layout="$(wasmpredict_engines --layout "$MODELS")" \
    || die "gate: cannot read the models in $MODELS"
say "gate 1/3: wasmpredict check on every version of every model in $MODELS (sha256, graph, golden replay natively)"
# The debug build: the check is about answers, not speed, and ./test.sh has built it already.
cargo run -q -- check "$MODELS" || die "gate: a bundle fails wasmpredict check; nothing deployed"

say "gate 2/3: building the Worker with the bundles of $MODELS"
out=worker/build
[ "$MODELS" = "models" ] || out=target/gate-worker
timed "Worker build" bash scripts/build-worker.sh --models "$MODELS" --out "$out"

live="{}"
if [ -n "$LIVE_URL" ]; then
    live="$(node -e '
const base = process.argv[1].replace(/\/$/, "");
const layout = JSON.parse(process.argv[2]);
Promise.all(layout.map(async (m) => { const r = await fetch(`${base}/models/${m.name}`); return [m.name, r.ok ? (await r.json()).live : undefined]; }))
  .then((pairs) => console.log(JSON.stringify(Object.fromEntries(pairs.filter(([, v]) => v)))));
' "$LIVE_URL" "$layout")" || die "gate: cannot read the live versions from $LIVE_URL"
fi
say "gate 3/3: the built Worker replays every golden row in workerd"
node scripts/gate.mjs "$out" "$layout" "$live" || die "gate: the built Worker disagrees with a golden row; nothing deployed"

if [ -n "$DRY_RUN" ]; then
    say "gate passed (--dry-run: not deployed)"
    exit 0
fi
say "gate passed: deploying with wrangler"
[ "$MODELS" = "models" ] || die "deploying another models directory: copy it to models/ first (wrangler.toml builds from models/)"
node_modules/.bin/wrangler deploy
