// The deploy gate (`cargo xtask deploy --dry-run --models DIR`) refuses bundles whose golden rows
// do not hold, with the one comparator `wasmpredict check` (natively) and `wasmpredict check
// --url` (against the built Worker in workerd) share: a broken label, a LinearSVC bundle's broken
// decision scores, and a probability off by more than the tolerance though within a relative
// tolerance (which applies to regression values only). Each bundle is a copy whose golden.json is
// changed and whose manifest hash is updated to match, so only the replay can tell.
// Run: node --test tests/ops/gate.test.mjs   (`cargo xtask test` runs the gate on the committed
// bundles first; the LinearSVC case reads target/fixtures, which it generates)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A models directory holding a copy of `bundle` as NAME, its golden.json changed by `change`. */
function tampered(bundle, name, change) {
  const models = mkdtempSync(`${tmpdir()}/wasmpredict-gate-`);
  cpSync(bundle, `${models}/${name}`, { recursive: true });
  const goldenPath = `${models}/${name}/golden.json`;
  const golden = JSON.parse(readFileSync(goldenPath, "utf8"));
  change(golden);
  const bytes = JSON.stringify(golden);
  writeFileSync(goldenPath, bytes);
  const manifestPath = `${models}/${name}/manifest.json`;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  manifest.files["golden.json"] = createHash("sha256").update(bytes).digest("hex");
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return models;
}

/** Runs the gate on `models` and asserts it refuses, naming `problem`. */
function refused(models, problem) {
  try {
    const r = spawnSync("cargo", ["xtask", "deploy", "--dry-run", "--models", models], { encoding: "utf8", cwd: ROOT });
    const output = r.stdout + r.stderr;
    assert.notEqual(r.status, 0, output);
    assert.match(output, /gate: a bundle fails wasmpredict check; nothing deployed/);
    assert.match(output, problem);
    assert.doesNotMatch(output, /gate passed|deploying with wrangler/);
  } finally {
    rmSync(models, { recursive: true, force: true });
  }
}

test("the deploy gate refuses a bundle with a broken golden label, naming the row", () => {
  const models = tampered(`${ROOT}models/iris`, "iris", (g) => {
    g.rows[3].prediction = (g.rows[3].prediction + 1) % 3;
  });
  refused(models, /row 3: label/);
});

test("the deploy gate refuses a LinearSVC bundle whose decision scores are broken", () => {
  const svc = `${ROOT}target/fixtures/linear-svc-binary`;
  assert.ok(existsSync(`${svc}/manifest.json`), `${svc} missing: .venv/bin/python tests/python/make_fixtures.py target/fixtures`);
  const models = tampered(svc, "linear-svc-binary", (g) => {
    assert.equal(g.rows[5].probabilities, undefined, "a LinearSVC golden row has scores, no probabilities");
    g.rows[5].scores[0] += 0.01;
  });
  refused(models, /row 5: scores/);
});

test("the deploy gate refuses a probability off by more than the tolerance, even within a relative tolerance", () => {
  const models = tampered(`${ROOT}models/iris`, "iris", (g) => {
    // 1e-3 off: far outside the 1e-5 tolerance, far inside 50% of the probability.
    g.relative_tolerance = 0.5;
    g.rows[0].probabilities[0] += 1e-3;
  });
  refused(models, /row 0: probabilities/);
});
