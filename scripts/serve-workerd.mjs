// Serves a built Worker in workerd (through Miniflare, as tests/worker/ run it) on a fixed port
// until killed: the deploy gate (`cargo xtask deploy`) replays goldens against it, and the soak
// (scripts/soak.mjs, scripts/starvation.mjs) loads it from outside. Prints `workerd at URL` once
// it serves.
//   node scripts/serve-workerd.mjs PORT [BUILD_DIR]
import { workerd } from "./workerd.mjs";

const [port, build = new URL("../worker/build", import.meta.url).pathname] = process.argv.slice(2);
const mf = workerd(build, { DEFAULT_MODEL: "rf-classification" }, { port: Number(port), host: "127.0.0.1" });
console.log(`workerd at ${await mf.ready}`);
const stop = async () => { await mf.dispose(); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
