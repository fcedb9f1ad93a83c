// The measurement protocol shared by the Node and browser benchmarks of ./bench.sh, and the
// adapters that put wasmpredict and onnxruntime behind one interface. Works in Node and in pages.
//
// Protocol (the same as `wasmpredict bench` and bench/native.py): warm-up calls, then `rounds`
// rounds; a round's figure is the median of its calls; we report the median of the round
// figures with their min and max.

export const now = () => performance.now();

export function spread(values) {
  const v = [...values].sort((a, b) => a - b);
  return { median: v[Math.floor(v.length / 2)], min: v[0], max: v[v.length - 1] };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times `fn(input)` over rounds; a round stops early (after 3 samples) past budgetMs. A sample is
 * the mean of `inner` consecutive calls: even cross-origin isolated, browsers round
 * performance.now() to 5 us, too coarse for one call of a few microseconds.
 */
export async function rounds(fn, inputs, { rounds = 5, calls = 500, warmup = 50, budgetMs = 2000, inner = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn(inputs[i % inputs.length]);
  const medians = [], every = [];
  let k = 0;
  for (let r = 0; r < rounds; r++) {
    const times = [];
    const start = now();
    while (times.length < calls && (times.length < 3 || now() - start < budgetMs)) {
      const t = now();
      for (let j = 0; j < inner; j++) await fn(inputs[k++ % inputs.length]);
      times.push((now() - t) / inner);
    }
    every.push(...times);
    medians.push(median(times));
  }
  every.sort((a, b) => a - b);
  return { ...spread(medians), p99: every[Math.floor((every.length - 1) * 0.99)] };
}

/** Feature rows (schema order) of a bundle's golden inputs. */
export function goldenRows(manifest, golden) {
  const names = manifest.input.map((f) => f.name);
  return golden.rows.map((g) => names.map((n) => g.input[n]));
}

/** Batches of `size` rows cycling through `rows`. */
export const cycle = (rows, size) => Array.from({ length: size }, (_, i) => rows[i % rows.length]);

/** wasmpredict: `{ features }` / `{ instances }` in, the /predict response out. */
export function wasmpredictRunner(predictor) {
  return {
    single: (row) => {
      const r = predictor.predict({ features: row });
      if (r.prediction === undefined) throw new Error("no prediction");
      return r.prediction;
    },
    batch: (rows) => predictor.predict({ instances: rows }).predictions,
  };
}

/**
 * wasmpredict's typed-array path: a Float32Array in (built from the rows inside the timed call,
 * as onnxruntime's runner builds its tensor), labels and probabilities out as typed arrays.
 */
export function wasmpredictTypedRunner(predictor) {
  const width = predictor.schema().length;
  const run = (rows) => {
    const data = new Float32Array(rows.length * width);
    rows.forEach((r, i) => data.set(r, i * width));
    const out = predictor.predictTyped(data, rows.length);
    return Array.from(out.labels, (l) => out.classes[l]);
  };
  return { single: (row) => run([row])[0], batch: run };
}

/** Loads the JS predictor's runner for a runtime name of the benchmark tables. */
export async function wasmpredictFor(runtime, Predictor, source) {
  const p = await Predictor.load(source, runtime === "wasmpredict-tract" ? { engine: "tract" } : {});
  return runtime === "wasmpredict-typed" ? wasmpredictTypedRunner(p) : wasmpredictRunner(p);
}

/** onnxruntime (web or node): a float32 tensor in, both outputs (label and probabilities) out. */
export function ortRunner(ort, session) {
  const input = session.inputNames[0];
  const run = async (rows) => {
    const data = new Float32Array(rows.length * rows[0].length);
    rows.forEach((r, i) => data.set(r, i * r.length));
    const out = await session.run({ [input]: new ort.Tensor("float32", data, [rows.length, rows[0].length]) });
    return Array.from(out[session.outputNames[0]].data, Number);
  };
  return { single: async (row) => (await run([row]))[0], batch: run };
}

/** Both runners must give sklearn's golden labels before they are timed. */
export async function checkLabels(runner, rows, golden, classes) {
  const got = await runner.batch(rows);
  const want = golden.rows.map((g) => g.prediction);
  const bad = want.findIndex((w, i) => String(w) !== String(got[i]) && String(w) !== String(classes?.[got[i]]));
  if (bad >= 0) throw new Error(`row ${bad}: got ${got[bad]}, sklearn says ${want[bad]}`);
}

/** Latency of one row and of a 1000-row batch, after checking the labels. */
export async function latencySuite(runner, manifest, golden, opts = {}) {
  const rows = goldenRows(manifest, golden);
  await checkLabels(runner, rows, golden, manifest.classes);
  const batch = cycle(rows, opts.batchRows ?? 1000);
  const single = await rounds(runner.single, rows, { rounds: opts.rounds ?? 5, calls: opts.calls ?? 100, inner: 20 });
  const batched = await rounds(runner.batch, [batch], { rounds: opts.rounds ?? 5, calls: 10, warmup: 3, budgetMs: 3000 });
  return { single_us: scale(single, 1000), batch_rows: batch.length, batch_ms: batched };
}

const scale = (s, k) => Object.fromEntries(Object.entries(s).map(([key, v]) => [key, v * k]));
