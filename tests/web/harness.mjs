// Child processes for the browser tests: free loopback ports, roomd and wsbridge started as
// ctest names them, readiness by polling a health URL under a deadline, and cleanup in all
// cases (normal end, failure, signal).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Env (set by ctest, tests/web/CMakeLists.txt): ROOMD_BIN, WSBRIDGE_BIN; optional WEB_ROOT,
// TEST_OUTPUT_DIR.
export const ROOMD_BIN = process.env.ROOMD_BIN;
export const WSBRIDGE_BIN = process.env.WSBRIDGE_BIN;
export const WEB_ROOT = process.env.WEB_ROOT || path.join(here, '..', '..', 'web');
export const TEST_OUTPUT_DIR = process.env.TEST_OUTPUT_DIR || path.join(here, 'test-results');

const live = new Set();

function killAllNow() {
  for (const child of live) {
    try {
      child.proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAllNow();
    process.exit(1);
  });
}

// A port nobody listens on right now: bind port 0, read it, release it.
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// One server process; its output goes to <logDir>/<name>.log (appended across restarts).
export class Child {
  constructor(name, bin, args, logDir) {
    this.name = name;
    this.bin = bin;
    this.args = args;
    this.logPath = path.join(logDir, name + '.log');
    this.proc = null;
    this.exited = null;
  }

  start() {
    const log = fs.openSync(this.logPath, 'a');
    fs.writeSync(log, `--- ${new Date().toISOString()} ${this.bin} ${this.args.join(' ')}\n`);
    const proc = spawn(this.bin, this.args, { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.proc = proc;
    live.add(this);
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      });
      proc.once('error', (err) => {
        live.delete(this);
        resolve({ code: null, signal: null, error: err });
      });
    });
    return this;
  }

  running() {
    return this.proc !== null && live.has(this);
  }

  // SIGTERM (or the given signal), then SIGKILL if it has not exited by the deadline.
  async stop(signal = 'SIGTERM', graceMs = 5000) {
    if (!this.running()) {
      return this.exited ? this.exited : null;
    }
    this.proc.kill(signal);
    const timer = delay(graceMs).then(() => 'timeout');
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.proc.kill('SIGKILL');
    }
    return this.exited;
  }

  tail(lines = 40) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

// Polls url until it answers 2xx; fails early if `child` exits, and at the deadline.
export async function waitForHealthy(url, child, deadlineMs = 20000, ca = undefined) {
  const deadline = Date.now() + deadlineMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!child.running()) {
      throw new Error(`${child.name} exited before ${url} was healthy:\n${child.tail()}`);
    }
    try {
      // https with a test CA (`ca`, PEM) goes through node:https; fetch trusts only the system's.
      const res = ca ? await httpsGet(url, ca) : await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) {
        return;
      }
      last = `HTTP ${res.status} ${await res.text()}`;
    } catch (err) {
      last = String(err.cause || err);
    }
    await delay(100);
  }
  throw new Error(`${url} not healthy after ${deadlineMs} ms (${last}):\n${child.tail()}`);
}

// A GET over https trusting `ca` (PEM), within 1 s; resolves {ok, status, text()}.
function httpsGet(url, ca) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({
        ok: res.statusCode >= 200 && res.statusCode < 300,
        status: res.statusCode,
        text: async () => body,
      }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

// Runs a command to completion with a deadline; resolves {code, stdout, stderr}.
export function run(bin, args, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => { stdout += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// Checks ctest gave the binaries and makes outDir, where the servers' logs go.
export function prepareOutput(outDir) {
  assert.ok(ROOMD_BIN && WSBRIDGE_BIN, 'set ROOMD_BIN and WSBRIDGE_BIN (ctest does)');
  fs.mkdirSync(outDir, { recursive: true });
}

// roomd on a given port (restarts reuse it), with the test's own flags.
export function startRoomd(name, port, args, outDir) {
  return new Child(name, ROOMD_BIN, ['--listen', `127.0.0.1:${port}`, ...args], outDir).start();
}

// wsbridge on a given port in front of roomd, serving web/.
export function startBridge(name, port, roomdPort, args, outDir) {
  return new Child(name, WSBRIDGE_BIN, ['--listen', `127.0.0.1:${port}`,
    '--roomd', `127.0.0.1:${roomdPort}`, '--web_root', WEB_ROOT, ...args], outDir).start();
}

// roomd and wsbridge on free ports (or the ones given), resolved once the bridge's /healthz
// answers (both stopped if it does not). Names default to 'roomd' and 'wsbridge' (their log files in outDir).
// With `ca` (the PEM of the CA that signed the bridge's --tls_cert_file) the bridge is
// reached over https.
export async function startServers({ outDir, roomdArgs = [], bridgeArgs = [], suffix = '',
  roomdPort, bridgePort, ca }) {
  prepareOutput(outDir);
  const ports = { roomdPort: roomdPort || await freePort(), bridgePort: bridgePort || await freePort() };
  const roomd = startRoomd('roomd' + suffix, ports.roomdPort, roomdArgs, outDir);
  const bridge = startBridge('wsbridge' + suffix, ports.bridgePort, ports.roomdPort, bridgeArgs, outDir);
  const base = `${ca ? 'https' : 'http'}://127.0.0.1:${ports.bridgePort}/`;
  try {
    await waitForHealthy(base + 'healthz', bridge, 20000, ca);
  } catch (err) {
    // The caller never gets them to stop: a live child would keep node from exiting.
    await stopAll(null, bridge, roomd);
    throw err;
  }
  return { ...ports, roomd, bridge, base };
}

// The end of a suite: closes the browser, then stops the bridge before roomd (whichever
// were started).
export async function stopAll(browser, bridge, roomd) {
  if (browser) {
    await browser.close();
  }
  if (bridge) {
    await bridge.stop();
  }
  if (roomd) {
    await roomd.stop();
  }
}
