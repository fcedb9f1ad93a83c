// The bad-input matrix's HTTP client: raw HTTP/1.1 over a socket, so that a case can send what
// fetch() never would (a lying or missing Content-Length, chunked bodies, odd paths, abusive
// headers), and the answer is read exactly as a client on the internet would read it.
import { connect } from "node:net";

// A body spec from bad-inputs.json as bytes: a string, {"json": value}, {"bytes": [..]}, or a
// list of parts (strings, {"repeat": s, "times": n}, {"bytes": [..]}).
export function bodyBytes(spec) {
  if (spec === undefined || spec === null) return null;
  if (typeof spec === "string") return Buffer.from(spec, "utf8");
  if (!Array.isArray(spec)) {
    if ("json" in spec) return Buffer.from(JSON.stringify(spec.json), "utf8");
    if ("bytes" in spec) return Buffer.from(spec.bytes);
    if ("repeat" in spec) return Buffer.from(spec.repeat.repeat(spec.times), "utf8");
    throw new Error(`unknown body spec ${JSON.stringify(spec)}`);
  }
  return Buffer.concat(spec.map((part) => bodyBytes(part)));
}

// Sends one case to http://host:port; resolves to {status, headers, text, json}.
export function send(port, c, { host = "127.0.0.1", timeoutMs = 30000 } = {}) {
  const body = bodyBytes(c.body);
  const headers = { host: `${host}:${port}`, connection: "close", ...(c.headers ?? {}) };
  const lines = [`${c.method} ${c.path} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  for (const [k, v] of c.header_lines ?? []) lines.push(`${k}: ${v}`);
  if (body && c.chunked) lines.push("transfer-encoding: chunked");
  else if (c.content_length !== undefined) lines.push(`content-length: ${c.content_length}`);
  else if (body) lines.push(`content-length: ${body.length}`);
  const head = Buffer.from(lines.join("\r\n") + "\r\n\r\n", "utf8");
  let payload = body ?? Buffer.alloc(0);
  if (body && c.chunked) {
    const chunks = [];
    for (let i = 0; i < body.length; i += 65536) {
      const piece = body.subarray(i, i + 65536);
      chunks.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n"));
    }
    chunks.push(Buffer.from("0\r\n\r\n"));
    payload = Buffer.concat(chunks);
  }
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const received = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`${c.name}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    socket.on("connect", async () => {
      socket.write(head);
      // A server may answer (413) and close before the whole body is sent: that is fine, and
      // the rest is not sent once an answer has come (writing on would only provoke a reset,
      // which can reach the client before the answer does). Like curl before a large upload,
      // give the server a moment to answer from the headers alone.
      if (payload.length > 65536) {
        await new Promise((r) => { const t = setTimeout(r, 200); socket.once("data", () => { clearTimeout(t); r(); }); });
      }
      for (let i = 0; i < payload.length && !received.length && !socket.destroyed; i += 65536) {
        if (!socket.write(payload.subarray(i, i + 65536))) {
          await new Promise((r) => { socket.once("drain", r); socket.once("close", r); });
        }
      }
    });
    // An answer is complete at its Content-Length or last chunk: Miniflare's entry keeps the
    // socket open for its 5 s keep-alive even after `connection: close`, so waiting for the
    // close would cost every case 5 s.
    socket.on("data", (d) => {
      received.push(d);
      const raw = Buffer.concat(received);
      if (!complete(raw)) return;
      clearTimeout(timer);
      socket.destroy();
      try { resolve(parse(raw)); } catch (e) { reject(new Error(`${c.name}: ${e.message}`)); }
    });
    socket.on("error", (e) => {
      // A reset after the answer arrived (the server refused a body it would not read).
      if (received.length && (e.code === "ECONNRESET" || e.code === "EPIPE")) return;
      clearTimeout(timer);
      reject(new Error(`${c.name}: ${e.message}`));
    });
    socket.on("close", () => {
      clearTimeout(timer);
      try { resolve(parse(Buffer.concat(received))); } catch (e) { reject(new Error(`${c.name}: ${e.message}`)); }
    });
  });
}

// Whether `raw` holds a whole answer: headers and all the body they announce.
function complete(raw) {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = raw.subarray(0, end).toString("latin1").toLowerCase();
  const body = raw.subarray(end + 4);
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) return body.length >= Number(length[1]);
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) return body.subarray(-5).toString("latin1") === "0\r\n\r\n";
  return false;
}

function parse(raw) {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no HTTP answer (${raw.length} bytes: ${JSON.stringify(raw.subarray(0, 200).toString())})`);
  const [statusLine, ...headerLines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers = {};
  for (const line of headerLines) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if ((headers["transfer-encoding"] ?? "").includes("chunked")) body = unchunk(body);
  const text = body.toString("utf8");
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status, headers, text, json };
}

function unchunk(buf) {
  const out = [];
  let pos = 0;
  for (;;) {
    const eol = buf.indexOf("\r\n", pos);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(pos, eol).toString(), 16);
    if (!size) break;
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
