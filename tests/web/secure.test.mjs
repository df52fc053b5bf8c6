// The page over https and wss (wsbridge --tls_cert_file, a test CA the browser context
// does not know, hence ignoreHTTPSErrors) against roomd --auth=jwt in Chromium: a token from the operator's endpoint
// (/config.json, fetched with credentials, refreshed ahead of expiry), a token from a
// #token= link (gone from the address bar at once), the bot badge, and a session whose
// token expires without a refresh ending with "token expired" (close 4016).
// Env: see harness.mjs.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ChatPage, launchBrowser, newContext } from './chat_page.mjs';
import { TEST_OUTPUT_DIR, freePort, prepareOutput, run, startServers, stopAll } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT_DIR = path.join(TEST_OUTPUT_DIR, 'secure');
const MINT = path.join(here, '..', '..', 'scripts', 'mint-token');
const MAKE_CERTS = path.join(here, '..', 'support', 'make-test-certs');
const POLL = { polling: 50, timeout: 30000 };
// Ann's tokens live 10 s, so the page renews them at half-life, every 5 s. At 4 s a renewal
// (the endpoint runs mint-token, a Python start) that took over about 1.3 s on a loaded
// machine let the token expire first, and Ann's session ended with it.
const ANN_TOKEN_TTL_S = 10;

describe('the page with signed tokens (roomd --auth=jwt)', { timeout: 180000 }, () => {
  let roomd;
  let bridge;
  let browser;
  let endpoint;
  let base;
  let secretFile;
  let endpointHits = 0;

  async function mint(...args) {
    const res = await run('/usr/bin/python3', [MINT, `--secret_file=${secretFile}`, ...args]);
    assert.equal(res.code, 0, `mint-token failed: ${res.stderr}`);
    return res.stdout.trim();
  }

  async function joinRoom(chat) {
    await chat.page.fill('#join-room', 'lobby');
    await chat.page.click('#join-button');
    await chat.page.waitForFunction(() => !document.querySelector('#composer-input').disabled,
      null, POLL);
  }

  before(async () => {
    prepareOutput(OUT_DIR);
    secretFile = path.join(OUT_DIR, 'jwt-secret');
    const relayFile = path.join(OUT_DIR, 'relay-secret');
    fs.writeFileSync(secretFile, crypto.randomBytes(32).toString('hex') + '\n');
    fs.writeFileSync(relayFile, crypto.randomBytes(32).toString('hex') + '\n');
    const bridgePort = await freePort();  // the endpoint's CORS names the page's origin
    const endpointPort = await freePort();
    // The bridge and the operator's token endpoint (https, as the page's CSP wants it) use
    // certificates from a test CA: short-lived tokens for whoever asks.
    const certs = path.join(OUT_DIR, 'certs');
    const made = await run(MAKE_CERTS, [certs]);
    assert.equal(made.code, 0, `make-test-certs failed: ${made.stderr}`);
    endpoint = https.createServer({
      key: fs.readFileSync(path.join(certs, 'server.key')),
      cert: fs.readFileSync(path.join(certs, 'server.pem')),
    }, async (req, res) => {
      res.setHeader('Access-Control-Allow-Origin', `https://127.0.0.1:${bridgePort}`);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      endpointHits += 1;
      const token = await mint('--sub=ann-1', '--name=Ann', `--ttl=${ANN_TOKEN_TTL_S}s`);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ token: token }));
    });
    await new Promise((resolve) => endpoint.listen(endpointPort, '127.0.0.1', resolve));
    ({ roomd, bridge, base } = await startServers({
      outDir: OUT_DIR, bridgePort, ca: fs.readFileSync(path.join(certs, 'ca.pem')),
      roomdArgs: ['--auth=jwt', `--jwt_secret_file=${secretFile}`,
        `--relay_secret_file=${relayFile}`, '--jwt_leeway=0s'],
      bridgeArgs: [`--relay_secret_file=${relayFile}`,
        `--tls_cert_file=${path.join(certs, 'server.pem')}`,
        `--tls_key_file=${path.join(certs, 'server.key')}`,
        `--token_endpoint=https://127.0.0.1:${endpointPort}/token`],
    }));
    browser = await launchBrowser();
  });

  after(async () => {
    await stopAll(browser, bridge, roomd);
    if (endpoint) {
      endpoint.close();
    }
  });

  test('endpoint and link tokens join, bots are badged, refresh keeps a session, expiry ends one',
    async () => {
      const ann = await ChatPage.open(await newContext(browser, { ignoreHTTPSErrors: true }), base);
      await ann.page.waitForFunction(() => !document.getElementById('join-who').hidden, null, POLL);
      assert.match(await ann.page.textContent('#join-who'), /Signed in as Ann/, `endpoint hits: ${endpointHits}`);
      assert.ok(await ann.page.isHidden('#join-email'));
      await joinRoom(ann);
      // The bridge listens with TLS only, so this join went over wss.
      assert.equal(new URL(ann.page.url()).protocol, 'https:');

      const botToken = await mint('--sub=bot-1', '--name=Beeper', '--bot', '--ttl=1h');
      const bot = await ChatPage.open(await newContext(browser, { ignoreHTTPSErrors: true }),
        base + '#token=' + botToken);
      assert.ok(!bot.page.url().includes('token'), 'the token left the address bar');
      await bot.page.waitForFunction(() => !document.getElementById('join-who').hidden, null, POLL);
      assert.match(await bot.page.textContent('#join-who'), /Signed in as Beeper \(bot\)/);
      await joinRoom(bot);
      assert.ok(bot.joins.every((join) => join.token === botToken && !join.email));
      await ann.waitForOnline(['Ann', 'Beeper']);
      await ann.page.waitForSelector('#users .bot-badge', POLL);
      await bot.send('beep');
      await ann.waitForMessage('beep');
      // Over wss too, Chromium offered permessage-deflate and the bridge agreed: 'beep' came
      // compressed, and the page read it.
      assert.match(ann.socketExtensions.at(-1) ?? '', /^permessage-deflate/,
        `extensions agreed: ${JSON.stringify(ann.socketExtensions)}`);

      // Ann's short tokens are renewed ahead of expiry (at half-life): the session outlives
      // several of them.
      const deadline = Date.now() + 6 * ANN_TOKEN_TTL_S * 1000;
      while (endpointHits < 4 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(endpointHits >= 4, `endpoint asked ${endpointHits} times`);
      await ann.send('still here after refreshes');
      await bot.waitForMessage('still here after refreshes');

      // Long enough to load the page and join on a slow machine (an ASan bridge on a fresh
      // machine took 5 s: Chromium retries the TLS handshakes with the unknown CA), short
      // enough for the expiry to come within POLL's 30 s.
      const shortToken = await mint('--sub=carl-1', '--name=Carl', '--ttl=15s');
      const carl = await ChatPage.open(await newContext(browser, { ignoreHTTPSErrors: true }), base + '#token=' + shortToken);
      await joinRoom(carl);
      await carl.page.waitForFunction(() =>
        document.getElementById('status-text').textContent.includes('token expired'), null, POLL);
      await ann.waitForOnline(['Ann', 'Beeper']);
      for (const chat of [ann, bot, carl]) {
        assert.deepEqual(chat.errors, []);
      }
    });
});
