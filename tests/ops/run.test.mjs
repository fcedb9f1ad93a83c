// The operations scenario (scenario.mjs) against ./run.sh: the Worker under wrangler dev in
// workerd, with its Durable Object. ./test.sh starts ./run.sh with ADMIN_TOKEN=scenario's token
// and a fresh STATE_DIR, then runs: WASMPREDICT_URL=http://127.0.0.1:PORT node --test tests/ops/run.test.mjs
import { test } from "node:test";
import * as ops from "./scenario.mjs";

const base = process.env.WASMPREDICT_URL;
if (!base) throw new Error("set WASMPREDICT_URL to a running ./run.sh (started with ADMIN_TOKEN and a fresh STATE_DIR)");
const call = ops.client((path, init) => fetch(`${base}${path}`, init));

test("two versions of churn side by side", () => ops.versionsSideBySide(call));
test("admin routes refuse missing and wrong tokens and change nothing", () => ops.adminNeedsTheToken(call));
test("a 90/10 split lands within 3 points, sticky per user; a rollback is immediate", () => ops.splitAndStickiness(call));
test("shadow agreement and per-version accuracy from feedback in /metrics", () => ops.shadowAndFeedback(call));
