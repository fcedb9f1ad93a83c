// The deploy gate refuses a bundle with a broken golden row (a copy of iris whose first golden
// answer is changed and whose manifest hash is updated to match, so only the replay can tell).
// Run: node --test tests/ops/gate.test.mjs   (./test.sh runs the gate on the committed bundles too)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";

const ROOT = new URL("../../", import.meta.url).pathname;

test("the deploy gate refuses a bundle with a broken golden row, naming it", () => {
  const models = mkdtempSync(`${tmpdir()}/wasmpredict-gate-`);
  try {
    cpSync(`${ROOT}models/iris`, `${models}/iris`, { recursive: true });
    const goldenPath = `${models}/iris/golden.json`;
    const golden = JSON.parse(readFileSync(goldenPath, "utf8"));
    golden.rows[3].prediction = (golden.rows[3].prediction + 1) % 3;
    const bytes = JSON.stringify(golden);
    writeFileSync(goldenPath, bytes);
    const manifestPath = `${models}/iris/manifest.json`;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    manifest.files["golden.json"] = createHash("sha256").update(bytes).digest("hex");
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const r = spawnSync("bash", [`${ROOT}scripts/deploy.sh`, "--dry-run", "--models", models], { encoding: "utf8", cwd: ROOT });
    const output = r.stdout + r.stderr;
    assert.notEqual(r.status, 0, output);
    assert.match(output, /gate: a bundle fails wasmpredict check; nothing deployed/);
    assert.match(output, /row 3/);
    assert.doesNotMatch(output, /gate passed|deploying with wrangler/);
  } finally {
    rmSync(models, { recursive: true, force: true });
  }
});
