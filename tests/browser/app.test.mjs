// The web app end to end in headless Chromium (Debian's, through playwright-core), against the
// page ./run.sh serves: WASMPREDICT_URL (./test.sh sets it). Every bundled model from a golden
// example, an unseen category, a text, a CSV batch with a bad row, offline reload; the app
// predicting through the JS predictor (/pkg/predictor.js, one wasm for both, the tract build only
// for a bundle that needs it); no page error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync, existsSync } from "node:fs";
import { chromium } from "playwright-core";

const ROOT = new URL("../../", import.meta.url).pathname;
const URL_ = (process.env.WASMPREDICT_URL || "http://127.0.0.1:8787").replace(/\/$/, "");
const ARTIFACTS = `${ROOT}target/test-artifacts`;
const FIXTURES = `${ROOT}target/fixtures`;
const MODELS = ["churn", "iris", "news", "rf-classification"];
// The bundles as the site serves them (`cargo xtask build web`: each model's live version).
const golden = (name) => JSON.parse(readFileSync(`${ROOT}build/site/bundles/${name}/golden.json`, "utf8"));
const BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
let browser, context, page;
const problems = [];

/** Reports a page's errors (uncaught exceptions, console errors) to the last test. */
function watch(p, tag = "") {
  p.on("pageerror", (e) => problems.push(`${tag}pageerror: ${e.message}`));
  p.on("console", (m) => { if (m.type() === "error") problems.push(`${tag}console error: ${m.text()}`); });
  return p;
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: BROWSER_ARGS,
  });
  context = await browser.newContext({ viewport: { width: 390, height: 844 } }); // phone width
  page = watch(await context.newPage());
  await page.goto(URL_ + "/");
  await page.locator('[data-testid="model-select"] option').first().waitFor({ state: "attached" });
});

after(async () => {
  await page?.screenshot({ path: `${ARTIFACTS}/app.png`, fullPage: true });
  await browser?.close();
});

async function choose(name, p = page) {
  await p.selectOption('[data-testid="model-select"]', name);
  await p.locator('main [name]').first().waitFor();
  // The form of the chosen model is there once its first field is.
  const first = golden(name).rows[0].input;
  await p.locator(`main [name="${Object.keys(first)[0]}"]`).waitFor();
}

async function fill(record, p = page) {
  for (const [field, value] of Object.entries(record)) {
    await p.locator(`main [name="${field}"]`).fill(value === null ? "" : String(value));
  }
}

async function predicted(p = page) {
  await p.click('[data-testid="predict"]');
  const label = p.locator('.label[data-testid="prediction"]');
  await label.waitFor();
  return label.textContent();
}

test("the model picker lists every bundled model", async () => {
  const names = await page.locator('[data-testid="model-select"] option').allTextContents();
  assert.deepEqual(names, MODELS);
});

for (const name of ["iris", "rf-classification", "churn", "news"]) {
  test(`${name}: a golden example gives sklearn's answer in the page`, async () => {
    await choose(name);
    const g = golden(name);
    for (const row of g.rows.slice(1, 4)) {
      await fill(row.input);
      assert.equal(await predicted(), String(row.prediction), JSON.stringify(row.input));
      const bars = await page.locator('[data-testid="probabilities"] title').allTextContents();
      const shown = bars.map((t) => parseFloat(t.split(": ")[1]) / 100);
      row.probabilities.forEach((p, k) => assert.ok(Math.abs(shown[k] - p) < 0.0006, `${bars} vs ${row.probabilities}`));
    }
  });
}

test("a prediction shows each field's contribution beside the probabilities, adding up to its score", async () => {
  // How the positive class's probability follows from the explained score.
  const toP1 = { churn: (s) => 1 / (1 + Math.exp(-s)), "rf-classification": (s) => s };
  for (const name of ["iris", "rf-classification", "churn"]) {
    await choose(name);
    const row = golden(name).rows[2];
    await fill(row.input);
    assert.equal(await predicted(), String(row.prediction));
    const chart = page.locator('[data-testid="contributions"]');
    await chart.waitFor();
    const base = Number(await chart.getAttribute("data-base"));
    const bars = await chart.locator("rect").evaluateAll((rs) => rs.map((r) => [r.dataset.field, Number(r.dataset.value)]));
    assert.deepEqual(bars.map(([f]) => f).sort(), Object.keys(row.input).sort(), `${name}: one bar per field`);
    const sizes = bars.map(([, v]) => Math.abs(v));
    assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a), `${name}: largest first`);
    const score = base + bars.reduce((s, [, v]) => s + v, 0);
    if (toP1[name]) {
      assert.ok(Math.abs(toP1[name](score) - row.probabilities[1]) < 1e-4, `${name}: score ${score}, sklearn ${row.probabilities}`);
    } else {
      assert.match(await page.locator(".contributions figcaption").textContent(), new RegExp(`^Why ${row.prediction}:`));
    }
  }
  await page.locator(".result").screenshot({ path: `${ARTIFACTS}/contributions.png` });
});

test("every bundled model runs on the compact engine, shown in the model line", async () => {
  for (const name of MODELS) {
    await choose(name);
    const engine = page.locator('[data-testid="engine"]');
    await engine.waitFor();
    assert.equal(await engine.textContent(), "compact", name);
    assert.match(await page.locator("p.meta").first().textContent(), /, engine compact\)$/, name);
  }
});

test("churn: an unseen category is flagged and still predicted", async () => {
  await choose("churn");
  await page.locator('main [name="contract"]').fill("weekly");
  await page.locator('[data-testid="flag-contract"]').waitFor();
  assert.match(await page.locator('[data-testid="flag-contract"]').textContent(), /never seen/);
  assert.match(await predicted(), /^[01]$/);
  await page.locator('main [name="tenure"]').fill("500");
  assert.match(await page.locator('[data-testid="flag-tenure"]').textContent(), /outside the training range/);
});

test("news: typing a review predicts while typing", async () => {
  await choose("news");
  await page.locator('main [name="text"]').fill("An utterly charming, funny and heartfelt film.");
  await page.waitForFunction(() => document.querySelector('.label[data-testid="prediction"]')?.textContent === "fresh");
  await page.locator('main [name="text"]').fill("Tedious, overlong and badly acted.");
  await page.waitForFunction(() => document.querySelector('.label[data-testid="prediction"]')?.textContent === "rotten");
  await page.locator('main [name="text"]').fill("   ");
  await page.click('[data-testid="predict"]');
  await page.waitForFunction(() => /empty text/.test(document.querySelector('[data-testid="prediction"]')?.textContent ?? ""));
});

test("news: the words that decided are marked in the review, on the side they pushed", async () => {
  await choose("news");
  const review = "Tedious, OVERLONG and badly acted. Tedious!";
  await page.locator('main [name="text"]').fill(review);
  await page.waitForFunction(() => document.querySelector('.label[data-testid="prediction"]')?.textContent === "rotten");
  const box = page.locator('[data-testid="term-highlights"]');
  await box.waitFor();
  assert.equal(await box.locator("figcaption").textContent(), "The words of 'text' that weighed most: warm toward rotten, cool away from it");
  // The text is shown whole, as typed (marks only wrap parts of it).
  assert.equal(await box.locator("p").textContent(), review);
  const marks = await box.locator("mark").evaluateAll((ms) => ms.map((m) => ({ text: m.textContent, term: m.dataset.term, up: m.classList.contains("up"), title: m.title })));
  assert.ok(marks.length >= 2, JSON.stringify(marks));
  // Each mark is an occurrence of its term (the vectorizer lowercases), both "Tedious" marked.
  for (const m of marks) assert.equal(m.text.toLowerCase(), m.term, JSON.stringify(m));
  assert.equal(marks.filter((m) => m.term === "tedious").length, 2, JSON.stringify(marks));
  // "tedious" pushes toward "rotten", the class shown: a positive contribution, marked up.
  const tedious = marks.find((m) => m.term === "tedious");
  assert.ok(tedious.up && /^tedious: \+/.test(tedious.title), JSON.stringify(tedious));
  await page.locator(".result").screenshot({ path: `${ARTIFACTS}/term-highlights.png` });
});

test("CSV batch: bad rows are reported by line, good ones predicted, results downloadable", async () => {
  await choose("iris");
  await page.getByRole("button", { name: "CSV batch" }).click();
  const csv = "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.7,three,5.2,2.3\n6.7,3.0,5.2,2.3\n";
  await page.setInputFiles('[data-testid="csv-input"]', { name: "rows.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.locator('[data-testid="batch-summary"]').waitFor();
  assert.equal(await page.locator('[data-testid="batch-summary"]').textContent(), "2 rows predicted, 1 refused");
  const cells = await page.locator('[data-testid="batch-results"] tbody tr').allInnerTexts();
  assert.match(cells[0], /^2\t0\t/);
  assert.match(cells[1], /^3\t\t\tfield 'sepal_width' must be a number/);
  assert.match(cells[2], /^4\t2\t/);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="download"]')]);
  const text = readFileSync(await download.path(), "utf8");
  assert.match(text, /^line,prediction,p_0,p_1,p_2,error\n2,0,/);
  await page.getByRole("button", { name: "One record" }).click();
});

test("CSV batch: the file's drift against training is computed in the page, flagging exactly the shifted fields", async () => {
  await choose("churn");
  await page.getByRole("button", { name: "CSV batch" }).click();
  const sent = [];
  const onRequest = (r) => { if (r.method() !== "GET") sent.push(`${r.method()} ${r.url()}`); };
  page.on("request", onRequest);
  const verdicts = async (file, drifted) => {
    await page.setInputFiles('[data-testid="csv-input"]', `${FIXTURES}/_drift/${file}`);
    await page.locator(`[data-testid="drift-report"][data-drifted="${drifted}"]`).waitFor({ timeout: 60000 });
    return page.$$eval('[data-testid^="drift-field-"]', (els) =>
      Object.fromEntries(els.map((e) => [e.dataset.testid.slice("drift-field-".length), e.dataset.verdict])));
  };
  // tenure moved up two standard deviations, 'electronic-check' replaced by an unseen category
  const shifted = await verdicts("churn-shifted.csv", true);
  const fields = Object.keys(shifted).filter((f) => f !== "(predictions)");
  assert.deepEqual(fields.filter((f) => shifted[f] === "drift"), ["tenure", "payment_method"], JSON.stringify(shifted));
  assert.equal(fields.length, 8);
  assert.match(await page.locator('[data-testid="drift-summary"]').textContent(), /^Drift in tenure, payment_method/);
  for (const f of ["tenure", "payment_method"]) await page.locator(`[data-testid="drift-histogram-${f}"]`).waitFor();
  assert.equal(await page.locator('[data-testid="drift-histogram-contract"]').count(), 0);
  await page.locator('[data-testid="drift-report"]').screenshot({ path: `${ARTIFACTS}/drift.png` });
  // the same distribution, unshifted: nothing flagged
  const fresh = await verdicts("churn-fresh.csv", false);
  assert.deepEqual(Object.entries(fresh).filter(([, v]) => v === "drift"), [], JSON.stringify(fresh));
  assert.equal(await page.locator('[data-testid="drift-summary"]').textContent(), "No drift");
  page.off("request", onRequest);
  assert.deepEqual(sent, [], "the file never leaves the page");
  await page.getByRole("button", { name: "One record" }).click();
});

test("the form never overwrites what the user typed, even when the model reloads under it", async () => {
  // Cold first loads (fresh contexts), as in the bug report: iris typed right after choosing it.
  for (let run = 0; run < 3; run++) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const p = watch(await ctx.newPage(), `cold load ${run}: `);
    await p.goto(URL_ + "/");
    await choose("iris", p);
    const typed = { sepal_length: 6.7, sepal_width: 3.0, petal_length: 5.2, petal_width: 2.3 };
    await fill(typed, p);
    // The service worker's news of a live version reloads the shown model while it is filled.
    await p.evaluate(() => window.dispatchEvent(new CustomEvent("wasmpredict-bundle",
      { detail: { type: "bundle-updated", name: "iris", version: "1.0.0" } })));
    await p.locator('[data-testid="engine"]').waitFor(); // the reload is done
    for (const [field, value] of Object.entries(typed)) {
      assert.equal(Number(await p.locator(`main [name="${field}"]`).inputValue()), value, `${field} (run ${run})`);
    }
    assert.equal(await predicted(p), "2", `run ${run}`);
    await ctx.close();
  }
});

test("offline: after one visit the app reloads and predicts with the network off", async () => {
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready) && !!navigator.serviceWorker.controller, null, { timeout: 20000 }).catch(async () => {
    await page.reload(); // the first load installs the worker; the second is controlled
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20000 });
  });
  await context.setOffline(true);
  try {
    await page.reload();
    await page.locator('[data-testid="model-select"] option').first().waitFor({ state: "attached" });
    await choose("iris");
    const row = golden("iris").rows[5];
    await fill(row.input);
    assert.equal(await predicted(), String(row.prediction));
  } finally {
    await context.setOffline(false);
  }
});

test("the plain example page predicts with the JS API in the page", async () => {
  const example = await context.newPage();
  example.on("pageerror", (e) => problems.push(`example pageerror: ${e.message}`));
  example.on("console", (m) => { if (m.type() === "error") problems.push(`example console error: ${m.text()}`); });
  await example.goto(URL_ + "/example.html");
  const answer = example.locator('[data-testid="prediction"]');
  await example.waitForFunction(() => /^fresh \(/.test(document.querySelector('[data-testid="prediction"]').textContent));
  await example.locator("#review").fill("Dull, lifeless and far too long.");
  await example.waitForFunction(() => /^rotten \(/.test(document.querySelector('[data-testid="prediction"]').textContent));
  await example.locator("#review").fill("");
  await example.waitForFunction(() => /^empty_text: /.test(document.querySelector('[data-testid="prediction"]').textContent));
  assert.match(await answer.textContent(), /field 'text'/);
  await example.close();
});

/** Every request of a new context, page and service worker alike. */
function recordRequests(ctx) {
  const urls = [];
  ctx.on("request", (r) => urls.push(new URL(r.url()).pathname));
  return urls;
}

test("the app predicts through the JS predictor: one compact wasm for both, no tract, no second copy", async () => {
  // A fresh visitor: nothing cached. Service workers are bypassed so that every fetch is seen here
  // with its body; the precache list is checked separately below.
  const ctx = await browser.newContext({ serviceWorkers: "block" });
  try {
    const urls = recordRequests(ctx);
    const p = watch(await ctx.newPage(), "fresh app ");
    const wasm = {};
    p.on("response", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.endsWith(".wasm")) wasm[path] = r;
    });
    await p.goto(URL_ + "/");
    await p.locator('[data-testid="model-select"] option').first().waitFor({ state: "attached" });
    for (const name of MODELS) {
      await choose(name, p);
      const row = golden(name).rows[1];
      await fill(row.input, p);
      assert.equal(await predicted(p), String(row.prediction), name);
      assert.equal(await p.locator('[data-testid="engine"]').textContent(), "compact", name);
    }
    assert.ok(urls.includes("/pkg/predictor.js"), urls.join(" "));
    assert.ok(urls.includes("/pkg/wasmpredict_web_bg.wasm"), urls.join(" "));
    assert.deepEqual(urls.filter((u) => u.includes("_tract")), []);
    assert.deepEqual(urls.filter((u) => /^\/(predict|models|v2)(\/|$)/.test(u)), [], "the app never calls the HTTP API");
    const appWasm = Object.keys(wasm).filter((u) => /^\/wasmpredict-app-[^/]*_bg\.wasm$/.test(u));
    assert.equal(appWasm.length, 1, Object.keys(wasm).join(" "));
    const appBytes = (await wasm[appWasm[0]].body()).length;
    const predictorBytes = (await wasm["/pkg/wasmpredict_web_bg.wasm"].body()).length;
    // The core lives in the predictor's wasm only: the app's own wasm is the UI.
    assert.ok(appBytes < predictorBytes, `app wasm ${appBytes} bytes, predictor wasm ${predictorBytes} bytes`);
    const budget = JSON.parse(readFileSync(`${ROOT}www/size-budget.json`, "utf8"));
    assert.ok(appBytes <= budget.raw_bytes, `app wasm ${appBytes} bytes, budget ${budget.raw_bytes}`);
    // Offline use: the service worker precaches the compact predictor, never the tract build.
    const sw = await (await p.request.get(URL_ + "/sw.js")).text();
    const precache = JSON.parse(sw.match(/const PRECACHE = (\[.*\]);/)[1]);
    assert.ok(precache.includes("/pkg/predictor.js") && precache.includes("/pkg/wasmpredict_web_bg.wasm"), sw);
    assert.deepEqual(precache.filter((u) => u.includes("_tract")), []);
  } finally {
    await ctx.close();
  }
});

for (const fixture of ["mlp-classifier", "onnx-net-classifier"]) {
  test(`${fixture}: a bundle that needs tract loads the tract build through /pkg/predictor.js`, async () => {
    const dir = `${FIXTURES}/${fixture}`;
    assert.ok(existsSync(`${dir}/manifest.json`), `${dir} missing: .venv/bin/python tests/python/make_fixtures.py target/fixtures`);
    const ctx = await browser.newContext({ serviceWorkers: "block" });
    try {
      const urls = recordRequests(ctx);
      const p = watch(await ctx.newPage(), `${fixture} `);
      // The fixture's files, served on the app's origin by the browser itself (no server change).
      await p.route(`${URL_}/fixtures/**`, (route) => {
        const file = new URL(route.request().url()).pathname.replace(/^\/fixtures\//, "");
        if (file === "page.html") return route.fulfill({ contentType: "text/html", body: "<!doctype html><title>fixture</title>" });
        if (!["manifest.json", "model.onnx", "golden.json", "explain.json"].includes(file.replace(/^[^/]+\//, ""))) return route.fulfill({ status: 404 });
        const type = file.endsWith(".json") ? "application/json" : "application/octet-stream";
        return route.fulfill({ contentType: type, body: readFileSync(`${FIXTURES}/${file}`) });
      });
      await p.goto(`${URL_}/fixtures/page.html`);
      const g = JSON.parse(readFileSync(`${dir}/golden.json`, "utf8"));
      const result = await p.evaluate(async ({ fixture, inputs }) => {
        const { Predictor } = await import("/pkg/predictor.js");
        const predictor = await Predictor.load(`/fixtures/${fixture}/`);
        const info = predictor.info();
        return { engine: predictor.engine, infoEngine: info.engine, answer: predictor.predict({ instances: inputs }) };
      }, { fixture, inputs: g.rows.map((r) => r.input) });
      assert.equal(result.engine, "tract");
      assert.equal(result.infoEngine, "tract");
      assert.ok(urls.includes("/pkg/wasmpredict_web_bg.wasm"), urls.join(" ")); // tried first
      assert.ok(urls.includes("/pkg/wasmpredict_web_tract_bg.wasm"), urls.join(" "));
      g.rows.forEach((row, i) => {
        assert.deepEqual(result.answer.predictions[i], row.prediction, `${fixture} row ${i}`);
        row.probabilities.forEach((want, k) => {
          const got = result.answer.probabilities[i][k];
          assert.ok(Math.abs(got - want) <= g.tolerance, `${fixture} row ${i} class ${k}: ${got} vs ${want}`);
        });
      });
    } finally {
      await ctx.close();
    }
  });
}


// Live versions in an installed app (sw.js): a promotion through the admin route reaches the
// page once the service worker has checked the new version's sha256; a version whose file does
// not match is refused and the old one keeps answering, offline too.
const ADMIN = { "content-type": "application/json", authorization: `Bearer ${process.env.ADMIN_TOKEN || "test-admin-token-0123456789"}` };
async function churnLive(version) {
  const r = await fetch(`${URL_}/admin/models/churn/traffic`, { method: "PUT", headers: ADMIN, body: JSON.stringify({ split: { [version]: 100 } }) });
  assert.equal(r.status, 200, await r.text());
}
async function answeredBy(p) {
  await fill(golden("churn").rows[2].input, p);
  await predicted(p);
  return (await p.locator(".result .meta").textContent()).split(" · ")[0];
}

test("a new live version reaches the installed app after its sha256 check; a tampered one is refused", async () => {
  const ctx = await browser.newContext();
  const p = watch(await ctx.newPage(), "live versions ");
  try {
    await p.goto(URL_ + "/");
    await p.waitForFunction(async () => (await navigator.serviceWorker.ready) && !!navigator.serviceWorker.controller, null, { timeout: 20000 }).catch(async () => {
      await p.reload();
      await p.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20000 });
    });
    await p.locator('[data-testid="model-select"] option').first().waitFor({ state: "attached" });
    await choose("churn", p);
    assert.equal(await p.locator('[data-testid="version"]').textContent(), "1.0.0");
    assert.equal(await answeredBy(p), "churn 1.0.0");

    await churnLive("1.1.0");
    await p.evaluate(() => window.wasmpredict.checkUpdates());
    await p.locator('[data-testid="news"]', { hasText: "churn is now version 1.1.0 (verified)" }).waitFor({ timeout: 20000 });
    await p.locator('[data-testid="version"]', { hasText: "1.1.0" }).waitFor();
    // The model line describes the version now loaded, not the build's.
    assert.match(await p.locator("p.meta").first().textContent(), /\(GradientBoostingClassifier, classification, version 1\.1\.0/);
    assert.equal(await answeredBy(p), "churn 1.1.0");

    // Offline, the verified version stays.
    await ctx.setOffline(true);
    try {
      await p.reload();
      await p.locator('[data-testid="model-select"] option').first().waitFor({ state: "attached" });
      await choose("churn", p);
      assert.equal(await answeredBy(p), "churn 1.1.0");
    } finally {
      await ctx.setOffline(false);
    }

    // A rollback whose model.onnx arrives altered: refused, 1.1.0 keeps answering.
    await ctx.route("**/bundles/churn/1.0.0/model.onnx", async (route) => {
      const real = await route.fetch();
      const bytes = Buffer.from(await real.body());
      bytes[bytes.length - 1] ^= 1;
      await route.fulfill({ response: real, body: bytes });
    });
    await churnLive("1.0.0");
    await p.evaluate(() => window.wasmpredict.checkUpdates());
    await p.locator('[data-testid="news"]', { hasText: "churn version 1.0.0 was not installed: sha256 of model.onnx differs" }).waitFor({ timeout: 20000 });
    assert.equal(await answeredBy(p), "churn 1.1.0");
    await ctx.unroute("**/bundles/churn/1.0.0/model.onnx");
    await p.evaluate(() => window.wasmpredict.checkUpdates());
    await p.locator('[data-testid="news"]', { hasText: "churn is now version 1.0.0 (verified)" }).waitFor({ timeout: 20000 });
    assert.equal(await answeredBy(p), "churn 1.0.0");
    await p.screenshot({ path: `${ARTIFACTS}/live-version.png`, fullPage: true });
  } finally {
    await churnLive("1.0.0");
    await ctx.close();
  }
});

test("no page error and no console error", () => {
  assert.deepEqual(problems, []);
});
