// The JS predictor as an npm package, as a web developer meets it: `npm pack` of build/site/pkg
// (its package.json: exports, types), installed into a fresh Vite app, bundled by `vite build`,
// served as static files and run in headless Chromium (Debian's, through playwright-core): the
// page predicts iris (compact engine) and an MLP (the tract build, which the bundle fetches only
// for that model) with the goldens' answers.
// Run after `cargo xtask build web` and make_fixtures.py: node --test tests/npm/   (./test.sh does)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { chromium } from "playwright-core";

const ROOT = new URL("../../", import.meta.url).pathname;
const PKG = `${ROOT}build/site/pkg`;
const FIXTURES = process.env.WASMPREDICT_FIXTURES ?? `${ROOT}target/fixtures`;
const VERSION = JSON.parse(readFileSync(`${PKG}/package.json`, "utf8")).version;
let work, server, port, browser;

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".onnx": "application/octet-stream" };

function bundleInto(from, to) {
  mkdirSync(to, { recursive: true });
  const manifest = JSON.parse(readFileSync(`${from}/manifest.json`, "utf8"));
  for (const f of ["manifest.json", ...Object.keys(manifest.files)]) cpSync(`${from}/${f}`, `${to}/${f}`);
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "wasmpredict-vite-"));
  // The tarball, as `npm publish` would upload it.
  const packed = JSON.parse(execFileSync("npm", ["pack", PKG, "--json", "--pack-destination", work], { encoding: "utf8" }));
  const tarball = packed[0].filename;
  const app = `${work}/app`;
  mkdirSync(`${app}/public/bundles`, { recursive: true });
  writeFileSync(`${app}/package.json`, JSON.stringify({ name: "my-app", private: true, type: "module", dependencies: { wasmpredict: `file:../${tarball}` } }, null, 1));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app, stdio: ["ignore", "ignore", "inherit"] });
  bundleInto(`${ROOT}models/iris`, `${app}/public/bundles/iris`);
  bundleInto(`${FIXTURES}/mlp-classifier`, `${app}/public/bundles/mlp-classifier`);
  writeFileSync(`${app}/index.html`, `<!doctype html><html><body><pre id="out">loading</pre><script type="module" src="/main.js"></script></body></html>`);
  writeFileSync(`${app}/main.js`, `
import { Predictor } from "wasmpredict";
const out = document.getElementById("out");
try {
  const iris = await Predictor.load("/bundles/iris/");
  const irisAnswer = iris.predict({ features: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] });
  const fetchedBefore = performance.getEntriesByType("resource").map((e) => e.name);
  const mlp = await Predictor.load("/bundles/mlp-classifier/");
  const mlpGolden = await (await fetch("/bundles/mlp-classifier/golden.json")).json();
  const mlpAnswer = mlp.predict({ instances: mlpGolden.rows.map((r) => r.input) });
  out.textContent = JSON.stringify({ irisAnswer, irisEngine: iris.engine, mlpEngine: mlp.engine, mlpAnswer, fetchedBefore });
} catch (e) {
  out.textContent = JSON.stringify({ error: String(e), code: e.code });
}
`);
  execFileSync(`${ROOT}node_modules/.bin/vite`, ["build", "--logLevel", "error"], { cwd: app, stdio: ["ignore", "ignore", "inherit"] });
  const dist = `${app}/dist`;
  server = createServer((req, res) => {
    const path = join(dist, decodeURIComponent(new URL(req.url, "http://x").pathname));
    try {
      const file = statSync(path).isDirectory() ? join(path, "index.html") : path;
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  port = server.address().port;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the packed tarball holds the package's exports, types and both wasm builds", () => {
  const tarballs = readdirSync(work).filter((f) => f.endsWith(".tgz"));
  assert.deepEqual(tarballs, [`wasmpredict-${VERSION}.tgz`]);
  const installed = `${work}/app/node_modules/wasmpredict`;
  const manifest = JSON.parse(readFileSync(`${installed}/package.json`, "utf8"));
  assert.equal(manifest.exports["."].types, "./predictor.d.ts");
  for (const f of manifest.files) statSync(`${installed}/${f}`);
  assert.match(readFileSync(`${installed}/predictor.d.ts`, "utf8"), /export declare class Predictor|export class Predictor/);
});

test("vite bundles it: both wasm builds become assets of the app", () => {
  const assets = readdirSync(`${work}/app/dist/assets`);
  assert.ok(assets.some((a) => /^wasmpredict_web_bg-.*\.wasm$/.test(a)), assets.join(" "));
  assert.ok(assets.some((a) => /^wasmpredict_web_tract_bg-.*\.wasm$/.test(a)), assets.join(" "));
});

test("the bundled app predicts in Chromium with the goldens' answers, fetching the tract build only for the MLP", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => document.getElementById("out").textContent !== "loading", null, { timeout: 60000 });
  const got = JSON.parse(await page.textContent("#out"));
  assert.equal(got.error, undefined, JSON.stringify(got));
  assert.deepEqual(errors, []);
  assert.equal(got.irisEngine, "compact");
  assert.deepEqual(got.irisAnswer.predictions, [0, 2]);
  assert.ok(got.fetchedBefore.some((u) => /wasmpredict_web_bg-.*\.wasm$/.test(u)), got.fetchedBefore.join(" "));
  assert.ok(!got.fetchedBefore.some((u) => /tract/.test(u)), "the tract build was fetched for iris");
  assert.equal(got.mlpEngine, "tract");
  const golden = JSON.parse(readFileSync(`${FIXTURES}/mlp-classifier/golden.json`, "utf8"));
  golden.rows.forEach((row, i) => {
    assert.deepEqual(got.mlpAnswer.predictions[i], row.prediction, `mlp row ${i}`);
    row.probabilities.forEach((p, k) => assert.ok(Math.abs(got.mlpAnswer.probabilities[i][k] - p) <= golden.tolerance, `mlp row ${i}`));
  });
  await page.close();
});
