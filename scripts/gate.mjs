// The deploy gate's replay (scripts/deploy.sh): the *built* Worker in workerd (Miniflare)
// answers every golden row of every version of every model through
// /models/{name}/versions/{version}/predict, within each golden file's tolerance; for a model
// with several versions, prints how often each version agrees with the live one on both
// versions' golden inputs. Exit 1 on any mismatch.
//   node scripts/gate.mjs WORKER_DIR LAYOUT_JSON [LIVE_JSON]
// LAYOUT_JSON: `wasmpredict-engines --layout MODELS`; LIVE_JSON: {"name": "version"} of the
// deployment being replaced (default: each model's live version in the layout).
import { readFileSync } from "node:fs";
import { workerd } from "./workerd.mjs";

const [workerDir, layoutJson, liveJson] = process.argv.slice(2);
const layout = JSON.parse(layoutJson);
const deployed = liveJson ? JSON.parse(liveJson) : {};
const mf = workerd(workerDir, { MAX_BODY_BYTES: String(64 << 20), MAX_ROWS: "1000000" });

async function predict(name, version, rows) {
  const r = await mf.dispatchFetch(`http://localhost/models/${name}/versions/${version}/predict`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ instances: rows }),
  });
  const body = await r.json();
  if (r.status !== 200) throw new Error(`${name} ${version}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

const close = (a, b, g) => Math.abs(a - b) <= g.tolerance + (g.relative_tolerance ?? 0) * Math.abs(b);
let failures = 0;
try {
  for (const model of layout) {
    const goldens = {};
    // Each version's answers on each version's golden inputs, computed once.
    const answers = new Map();
    const answer = async (version, source) => {
      const key = `${version} on ${source}`;
      if (!answers.has(key)) answers.set(key, await predict(model.name, version, goldens[source].rows.map((row) => row.input)));
      return answers.get(key);
    };
    const regression = JSON.parse(readFileSync(`${model.versions[0].dir}/manifest.json`, "utf8")).task === "regression";
    for (const { version, dir } of model.versions) {
      const g = JSON.parse(readFileSync(`${dir}/golden.json`, "utf8"));
      goldens[version] = g;
      const r = await answer(version, version);
      const bad = [];
      g.rows.forEach((row, i) => {
        const got = r.predictions[i];
        const same = regression ? close(got, row.prediction, g) : JSON.stringify(got) === JSON.stringify(row.prediction);
        const probs = (row.probabilities ?? []).every((p, k) => close(r.probabilities[i][k], p, g));
        if (!same || !probs) bad.push(i);
      });
      if (bad.length) {
        failures++;
        console.log(`FAIL ${model.name} ${version}: golden rows ${bad.slice(0, 10).join(", ")}${bad.length > 10 ? ", ..." : ""} differ in workerd (${bad.length} of ${g.rows.length})`);
      } else {
        console.log(`ok   ${model.name} ${version}: ${g.rows.length} golden rows replayed in workerd`);
      }
    }
    if (model.versions.length < 2) continue;
    const live = deployed[model.name] ?? model.live;
    for (const { version } of model.versions) {
      if (version === live) continue;
      const parts = [];
      for (const source of [live, version]) {
        const [a, b] = [await answer(live, source), await answer(version, source)];
        const n = a.predictions.length;
        if (regression) {
          const mad = a.predictions.reduce((s, p, i) => s + Math.abs(p - b.predictions[i]), 0) / n;
          parts.push(`mean |difference| ${mad.toPrecision(3)} on ${source}'s ${n} golden rows`);
        } else {
          const same = a.predictions.filter((p, i) => JSON.stringify(p) === JSON.stringify(b.predictions[i])).length;
          parts.push(`${(100 * same / n).toFixed(1)}% same class on ${source}'s ${n} golden rows`);
        }
      }
      console.log(`     ${model.name} ${version} vs live ${live}: ${parts.join("; ")}`);
    }
  }
} finally {
  await mf.dispose();
}
process.exit(failures ? 1 : 0);
