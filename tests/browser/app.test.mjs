// The web app end to end in headless Chromium (Debian's, through playwright-core), against the
// page ./run.sh serves: WASMPREDICT_URL (./test.sh sets it). Every bundled model from a golden
// example, an unseen category, a text, a CSV batch with a bad row, offline reload; no page error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const ROOT = new URL("../../", import.meta.url).pathname;
const URL_ = (process.env.WASMPREDICT_URL || "http://127.0.0.1:8787").replace(/\/$/, "");
const ARTIFACTS = `${ROOT}target/test-artifacts`;
const golden = (name) => JSON.parse(readFileSync(`${ROOT}models/${name}/golden.json`, "utf8"));
let browser, context, page;
const problems = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({ viewport: { width: 390, height: 844 } }); // phone width
  page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  await page.goto(URL_ + "/");
  await page.locator('[data-testid="model-select"] option').first().waitFor({ state: "attached" });
});

after(async () => {
  await page?.screenshot({ path: `${ARTIFACTS}/app.png`, fullPage: true });
  await browser?.close();
});

async function choose(name) {
  await page.selectOption('[data-testid="model-select"]', name);
  await page.locator('main [name]').first().waitFor();
  // The form of the chosen model is there once its first field is.
  const first = golden(name).rows[0].input;
  await page.locator(`main [name="${Object.keys(first)[0]}"]`).waitFor();
}

async function fill(record) {
  for (const [field, value] of Object.entries(record)) {
    await page.locator(`main [name="${field}"]`).fill(value === null ? "" : String(value));
  }
}

async function predicted() {
  await page.click('[data-testid="predict"]');
  const label = page.locator('.label[data-testid="prediction"]');
  await label.waitFor();
  return label.textContent();
}

test("the model picker lists every bundled model", async () => {
  const names = await page.locator('[data-testid="model-select"] option').allTextContents();
  assert.deepEqual(names, ["churn", "iris", "news", "rf-classification"]);
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

test("no page error and no console error", () => {
  assert.deepEqual(problems, []);
});
