// Do heavy requests starve light ones? Two loops send 10,000-row `news` batches back to back
// while, every 50 ms, a health check (GET /v2/health/ready) and a single iris row go out; prints
// the light requests' latencies (p50, p99, max) and the heavy batches' count and duration as JSON.
//   node scripts/starvation.mjs URL [SECONDS]      (`cargo xtask soak` runs it on both servers)
const [base, seconds = "30"] = process.argv.slice(2);
const words = ["a", "wonderful", "moving", "dull", "lifeless", "film", "cast", "plot", "score", "superb"];
const texts = Array.from({ length: 10000 }, (_, i) => ({ text: `${words[i % 10]} ${words[(i * 7) % 10]} ${words[(i * 3) % 10]} film ${i}` }));
const heavyBody = JSON.stringify({ instances: texts });
const until = Date.now() + Number(seconds) * 1000;

const heavy = { done: 0, ms: [], failed: 0 };
async function heavyLoop() {
  while (Date.now() < until) {
    const t0 = performance.now();
    const r = await fetch(`${base}/models/news/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: heavyBody });
    await r.arrayBuffer();
    if (r.status === 200) { heavy.done++; heavy.ms.push(performance.now() - t0); } else heavy.failed++;
  }
}

const light = { health: [], row: [], failed: 0 };
async function lightLoop() {
  await new Promise((r) => setTimeout(r, 500)); // let the heavy batches start
  while (Date.now() < until) {
    for (const [kind, init, path] of [
      ["health", { method: "GET" }, "/v2/health/ready"],
      ["row", { method: "POST", headers: { "content-type": "application/json" }, body: '{"features": [5.1, 3.5, 1.4, 0.2]}' }, "/models/iris/predict"],
    ]) {
      const t0 = performance.now();
      const r = await fetch(`${base}${path}`, init);
      await r.arrayBuffer();
      if (r.status === 200) light[kind].push(performance.now() - t0); else light.failed++;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? +s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(2) : null; };
const summary = (xs) => ({ n: xs.length, p50_ms: q(xs, 50), p99_ms: q(xs, 99), max_ms: xs.length ? +Math.max(...xs).toFixed(2) : null });
await Promise.all([heavyLoop(), heavyLoop(), lightLoop()]);
console.log(JSON.stringify({
  url: base,
  seconds: Number(seconds),
  heavy_batches: { ...summary(heavy.ms), failed: heavy.failed, rows_each: texts.length, body_bytes: heavyBody.length },
  health: summary(light.health),
  single_row: summary(light.row),
  light_failed: light.failed,
}));
