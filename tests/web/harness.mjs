// Child processes for the browser test: free loopback ports, readiness by polling a health
// URL under a deadline, and cleanup in all cases (normal end, failure, signal).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

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
export async function waitForHealthy(url, child, deadlineMs = 20000) {
  const deadline = Date.now() + deadlineMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!child.running()) {
      throw new Error(`${child.name} exited before ${url} was healthy:\n${child.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
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
