// The soak (issue 12): for `wasmpredict serve` and for the built Worker in workerd, a bounded
// wrk run on loopback with bench/soak/mix.lua (single rows, 1,000-row batches, bad bodies) while
// the server's resident memory is sampled every 10 s, then scripts/starvation.mjs. Writes
// target/soak/NAME.json and the "Soak" section of docs/reliability.md.
//   node scripts/soak.mjs [SECONDS]      (`cargo xtask soak` builds first, then runs this)
import { spawn, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync } from "node:fs";
import { createServer } from "node:net";

const ROOT = new URL("../", import.meta.url).pathname;
const SECONDS = Number(process.argv[2] ?? 300);
const OUT = `${ROOT}target/soak`;
mkdirSync(OUT, { recursive: true });

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKiB(pid) {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]); } catch { return null; }
}

// The workerd process under a node process (Miniflare starts it as a child).
function findChild(pid, name) {
  const kids = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ")[1] === String(pid); } catch { return false; }
  });
  for (const k of kids) {
    if (readFileSync(`/proc/${k}/comm`, "utf8").trim() === name) return Number(k);
    const deeper = findChild(k, name);
    if (deeper) return deeper;
  }
  return null;
}

async function waitReady(base) {
  for (let i = 0; i < 600; i++) {
    try { if ((await fetch(`${base}/v2/health/ready`)).ok) return; } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`${base} did not become ready`);
}

function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => { out += d; });
    p.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function soak(name, start) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { proc, pid } = await start(port);
  await waitReady(base);
  const memory = [];
  const t0 = Date.now();
  const sampler = setInterval(() => memory.push({ s: Math.round((Date.now() - t0) / 1000), rss_mib: +(rssKiB(pid()) / 1024).toFixed(1) }), 10000);
  memory.push({ s: 0, rss_mib: +(rssKiB(pid()) / 1024).toFixed(1) });
  console.error(`# ${name}: wrk for ${SECONDS} s at ${base}`);
  const wrk = await run("wrk", ["-t2", "-c8", `-d${SECONDS}s`, "--timeout", "10s", "-s", `${ROOT}bench/soak/mix.lua`, base], { SOAK_BATCH: `${ROOT}bench/soak/iris-1000-rows.json` });
  clearInterval(sampler);
  memory.push({ s: Math.round((Date.now() - t0) / 1000), rss_mib: +(rssKiB(pid()) / 1024).toFixed(1) });
  const statuses = {};
  for (const m of wrk.matchAll(/^SOAK status (\d+) (\d+)$/gm)) statuses[m[1]] = Number(m[2]);
  const errors = Object.fromEntries([...wrk.match(/^SOAK errors (.*)$/m)[1].matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
  const latency = Object.fromEntries([...wrk.match(/^SOAK latency_ms (.*)$/m)[1].matchAll(/(\w+)=([\d.]+)/g)].map((m) => [m[1], Number(m[2])]));
  const requests = Number(wrk.match(/^SOAK requests (\d+)$/m)[1]);
  console.error(`# ${name}: starvation check`);
  const starvation = JSON.parse(await run("node", [`${ROOT}scripts/starvation.mjs`, base, "30"]));
  proc.kill("SIGTERM");
  await sleep(500);
  const afterWarmup = memory.filter((m) => m.s >= 60).map((m) => m.rss_mib);
  const result = {
    name, seconds: SECONDS, requests, statuses, errors, latency_ms: latency,
    five_xx: Object.entries(statuses).filter(([s]) => Number(s) >= 500).reduce((a, [, n]) => a + n, 0),
    dropped_connections: errors.connect + errors.read + errors.write + errors.timeout,
    memory,
    memory_after_warmup_mib: afterWarmup.length ? { min: Math.min(...afterWarmup), max: Math.max(...afterWarmup) } : null,
    starvation,
  };
  writeFileSync(`${OUT}/${name}.json`, JSON.stringify(result, null, 1));
  console.error(JSON.stringify({ ...result, memory: undefined }));
  return result;
}

const native = await soak("native", async (port) => {
  const bin = `${ROOT}target/release/wasmpredict`;
  const proc = spawn(bin, ["serve", "--models", `${ROOT}models`, "--addr", `127.0.0.1:${port}`], { stdio: "ignore" });
  return { proc, pid: () => proc.pid };
});
const worker = await soak("worker", async (port) => {
  const proc = spawn("node", [`${ROOT}scripts/serve-workerd.mjs`, String(port)], { stdio: ["ignore", "ignore", "inherit"] });
  let found = null;
  return { proc, pid: () => (found ??= findChild(proc.pid, "workerd")) };
});

// docs/reliability.md: the Soak section, between its markers.
const row = (r) => `| ${r.name === "native" ? "`wasmpredict serve` (release)" : "Worker in workerd (Miniflare)"} | ${r.seconds} s | ${r.requests.toLocaleString("en")} | ${Object.entries(r.statuses).map(([s, n]) => `${s}: ${n.toLocaleString("en")}`).join(", ")} | ${r.five_xx} | ${r.dropped_connections} | ${r.latency_ms.p50} / ${r.latency_ms.p99} / ${r.latency_ms.max} | ${r.memory[0].rss_mib} → ${r.memory_after_warmup_mib ? `${r.memory_after_warmup_mib.min}–${r.memory_after_warmup_mib.max}` : "-"} |`;
const curve = (r) => r.memory.map((m) => `${m.s}s ${m.rss_mib}`).join(", ");
const starve = (r) => { const s = r.starvation; return `| ${r.name} | ${s.heavy_batches.n} × ${s.heavy_batches.rows_each.toLocaleString("en")} rows (p50 ${s.heavy_batches.p50_ms} ms) | ${s.health.p50_ms} / ${s.health.p99_ms} / ${s.health.max_ms} | ${s.single_row.p50_ms} / ${s.single_row.p99_ms} / ${s.single_row.max_ms} | ${s.light_failed + s.heavy_batches.failed} |`; };
const section = `<!-- soak:start (written by cargo xtask soak) -->
Run on ${new Date().toISOString().slice(0, 10)} with \`cargo xtask soak ${SECONDS}\` (wrk -t2 -c8, loopback, 2 cores shared by
server and client). Mix per 20 requests (bench/soak/mix.lua): 12 single iris rows, 2 churn
records, 2 news texts, 2 1,000-row iris batches, 2 bad bodies (answered 400).

| server | time | requests | statuses | 5xx | dropped connections | latency p50 / p99 / max (ms) | RSS MiB: start → after 60 s (min–max) |
|---|---|---|---|---|---|---|---|
${row(native)}
${row(worker)}

Memory every 10 s (s, MiB): native: ${curve(native)}. Worker (the workerd process): ${curve(worker)}.

Starvation (scripts/starvation.mjs, 30 s): two loops of 10,000-row \`news\` batches back to back,
and every 50 ms a health check and a single iris row.

| server | heavy batches done | /v2/health/ready p50 / p99 / max (ms) | single row p50 / p99 / max (ms) | failed |
|---|---|---|---|---|
${starve(native)}
${starve(worker)}
<!-- soak:end -->`;
const docPath = `${ROOT}docs/reliability.md`;
const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "# Reliability\n";
const updated = /<!-- soak:start[\s\S]*?<!-- soak:end -->/.test(doc)
  ? doc.replace(/<!-- soak:start[\s\S]*?<!-- soak:end -->/, section)
  : `${doc.trimEnd()}\n\n## Soak and isolation\n\n${section}\n`;
writeFileSync(docPath, updated);
console.error(`# wrote ${OUT}/native.json, ${OUT}/worker.json and the Soak section of docs/reliability.md`);
