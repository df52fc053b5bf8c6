// The page in a real browser, through the real wsbridge and roomd: two people chat, a gRPC
// bot posts, markup stays text, a closed tab leaves, and both servers restart mid-chat
// without a message lost or shown twice. Env: see harness.mjs; optional SCREENSHOT_PATH.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ChatPage, launchBrowser, newContext } from './chat_page.mjs';
import { TEST_OUTPUT_DIR, run, startBridge as startBridgeOn, startRoomd as startRoomdOn,
  startServers, stopAll } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT_DIR = TEST_OUTPUT_DIR;
const SCREENSHOT = process.env.SCREENSHOT_PATH || path.join(OUT_DIR, 'screenshot.png');
const PYTHON = '/usr/bin/python3';  // Debian's grpc works only with Debian's python
const ROOM = 'lobby';

describe('chat page through wsbridge and roomd', { timeout: 240000 }, () => {
  let roomdPort;
  let bridgePort;
  let roomd;
  let bridge;
  let browser;
  let base;
  let ann;
  let bob;
  const pages = [];
  const said = [];  // every message text sent so far, each unique

  // Rooms of more than 5 connections are big (coalesced presence, a paged list of 10).
  const ROOMD_ARGS = ['--presence_coalesce_above=5', '--presence_page_size=10',
    '--presence_max_users=16'];

  // Restarts keep the ports (the pages reconnect to the same address).
  function startRoomd() {
    return startRoomdOn('roomd', roomdPort, ROOMD_ARGS, OUT_DIR);
  }

  function startBridge() {
    return startBridgeOn('wsbridge', bridgePort, roomdPort, [], OUT_DIR);
  }

  async function bot(...texts) {
    const res = await run(PYTHON, [path.join(here, 'bot.py'), '--target', `127.0.0.1:${roomdPort}`,
      '--room', ROOM, '--email', 'build-bot@example.com', ...texts]);
    assert.equal(res.code, 0, `bot failed: ${res.stderr}`);
    said.push(...texts);
  }

  async function say(chat, text) {
    await chat.send(text);
    said.push(text);
  }

  async function openChat(context) {
    const chat = await ChatPage.open(context, base);
    pages.push(chat);
    return chat;
  }

  before(async () => {
    ({ roomdPort, bridgePort, roomd, bridge, base } = await startServers({
      outDir: OUT_DIR, roomdArgs: ROOMD_ARGS }));
    browser = await launchBrowser();
    ann = await openChat(await newContext(browser));
    bob = await openChat(await newContext(browser));
  });

  after(async () => {
    await stopAll(browser, bridge, roomd);
  });

  test('two users join one room, see each other and exchange messages', async () => {
    await ann.join({ email: 'ann.lee@example.com', room: ROOM });
    await bob.join({ email: 'bob@example.com', room: ROOM, name: 'Bob Martin' });
    await ann.waitForOnline(['ann.lee', 'Bob Martin']);
    await bob.waitForOnline(['ann.lee', 'Bob Martin']);
    await ann.waitForNotice('Bob Martin joined');

    await say(ann, 'Morning! Is the new bridge build on staging yet?');
    await bob.waitForMessage('Morning! Is the new bridge build on staging yet?', { own: false });
    await say(bob, 'Yes, rolled out at nine. Latency looks good so far.');
    await ann.waitForMessage('Yes, rolled out at nine. Latency looks good so far.', { own: false });
    await say(ann, 'Great. I will point the web client at it and run the browser tests.');
    await bob.waitForMessage('Great. I will point the web client at it and run the browser tests.');

    const seen = await bob.messages();
    assert.deepEqual(seen.map((m) => [m.name, m.own]), [
      ['ann.lee', false], ['Bob Martin', true], ['ann.lee', false]]);
    // Chromium offered permessage-deflate and the bridge agreed: every frame above came
    // compressed, and the page read it.
    assert.match(bob.socketExtensions[0] ?? '', /^permessage-deflate/,
      `extensions agreed: ${JSON.stringify(bob.socketExtensions)}`);
    // Offline, every avatar is drawn locally: initials, never a broken image.
    await ann.waitForNoBrokenImages();
    const initials = await ann.page.$$eval('#users .avatar', (a) => a.map((x) => x.textContent));
    assert.deepEqual(initials.sort(), ['AL', 'BM']);
  });

  test('typing shows while someone writes and goes when they stop', async () => {
    await bob.page.fill('#composer-input', '');
    await bob.page.locator('#composer-input').pressSequentially('Sounds good');
    await ann.waitForTyping('Bob Martin is typing…');
    await bob.page.fill('#composer-input', '');
    await bob.page.dispatchEvent('#composer-input', 'input');
    await ann.waitForTyping('');
  });

  test("a gRPC bot's Post appears on the page", async () => {
    await bot('Deploy finished: wsbridge on staging, 2 instances healthy.');
    for (const chat of [ann, bob]) {
      await chat.waitForMessage('Deploy finished: wsbridge on staging, 2 instances healthy.');
      const last = (await chat.messages()).at(-1);
      assert.equal(last.name, 'build-bot');
      assert.equal(last.own, false);
    }
  });

  test('screenshot of a realistic chat (desktop, and phone width)', async () => {
    await say(bob, 'Ping me if anything looks off.');
    await ann.waitForMessage('Ping me if anything looks off.');
    await say(ann, 'Will do, thanks!\nAlso: the reconnect banner reads much better now.');
    await bob.waitForMessage('Will do, thanks!\nAlso: the reconnect banner reads much better now.');
    await bob.page.locator('#composer-input').pressSequentially('Nice');
    await ann.waitForTyping('Bob Martin is typing…');
    await ann.waitForNoBrokenImages();
    await ann.page.mouse.move(0, 0);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await ann.page.setViewportSize({ width: 1120, height: 680 });
    await ann.page.screenshot({ path: SCREENSHOT });
    await ann.page.setViewportSize({ width: 1200, height: 760 });
    await bob.page.setViewportSize({ width: 390, height: 760 });
    await bob.page.waitForSelector('#users-panel', { state: 'hidden' });  // collapsed on a phone
    assert.ok(await bob.page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scroll');
    await bob.page.screenshot({ path: path.join(OUT_DIR, 'screenshot-phone.png') });
    await bob.page.click('#users-toggle');
    await bob.page.waitForSelector('#users-panel.open .user-name');
    await bob.page.screenshot({ path: path.join(OUT_DIR, 'screenshot-phone-users.png') });
    await bob.page.keyboard.press('Escape');
    await bob.page.setViewportSize({ width: 1200, height: 760 });
    await bob.page.fill('#composer-input', '');
    await bob.page.dispatchEvent('#composer-input', 'input');
    await ann.waitForTyping('');
    assert.ok(fs.statSync(SCREENSHOT).size > 10000, 'screenshot written');
  });

  test('Enter sends, Shift+Enter starts a new line', async () => {
    const box = bob.page.locator('#composer-input');
    await box.pressSequentially('Two lines:');
    await box.press('Shift+Enter');
    await box.pressSequentially('the second one.');
    await box.press('Enter');
    await bob.waitForMessage('Two lines:\nthe second one.', { own: true });
    await ann.waitForMessage('Two lines:\nthe second one.', { own: false });
    said.push('Two lines:\nthe second one.');
    assert.equal(await box.inputValue(), '', 'the box is empty after sending');
  });

  test('markup typed by a user shows as text, never as HTML', async () => {
    const attack = '<img src=x onerror=alert(1)>';
    await say(ann, attack);
    await bob.waitForMessage(attack);
    for (const chat of [ann, bob]) {
      const html = await chat.page.$eval('#messages', (m) => m.innerHTML);
      assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'), 'escaped in the DOM');
      assert.equal(await chat.page.$$eval('#messages img', (imgs) =>
        imgs.filter((i) => i.getAttribute('src') === 'x').length), 0);
      assert.deepEqual(chat.dialogs, []);
    }
  });

  test('a message roomd rejects is marked failed with the reason, and can be discarded', async () => {
    const tooLong = 'é'.repeat(2100);  // 4200 bytes: over roomd's 4 KiB, under the box's 4096 characters
    await ann.page.fill('#composer-input', tooLong);
    await ann.page.press('#composer-input', 'Enter');
    const failed = ann.page.locator('#messages .msg.failed');
    await failed.waitFor();
    assert.match(await failed.locator('.msg-state').textContent(), /^Not sent: message too long/);
    assert.equal(await failed.locator('.msg-text').textContent(), tooLong);
    await failed.getByRole('button', { name: 'Discard' }).click();
    await failed.waitFor({ state: 'detached' });
    await say(ann, 'Sorry, that one was too long.');
    await bob.waitForMessage('Sorry, that one was too long.');
    assert.equal((await bob.messages()).filter((m) => m.text === tooLong).length, 0);
  });

  test('bad input is refused plainly: the form checks it, and a refusal by roomd is final', async () => {
    const context = await newContext(browser);
    const erin = await openChat(context);
    const p = erin.page;
    await p.fill('#join-email', 'erin.example.com');
    await p.fill('#join-room', 'no spaces!');
    await p.click('#join-button');
    assert.equal(await p.textContent('#join-email-error'), 'That does not look like an email address.');
    assert.match(await p.textContent('#join-room-error'), /letters, digits/);
    assert.equal(await p.evaluate(() => document.activeElement.id), 'join-email');
    assert.equal(erin.joins.length, 0, 'nothing sent');

    // Passes the browser's check, not roomd's: the bridge closes with 4003 and its reason.
    await p.fill('#join-email', 'e'.repeat(65) + '@example.com');
    await p.fill('#join-room', 'erins-room');
    await p.click('#join-button');
    await p.waitForFunction(() => document.getElementById('join-error').textContent !== '');
    assert.match(await p.textContent('#join-error'), /^Could not join: .*too long/);
    assert.ok(await p.isVisible('#join-form'));
    assert.equal(erin.joins.length, 1, 'a final refusal is not retried');

    await erin.join({ email: 'erin@example.com', room: 'erins-room' });
    assert.deepEqual(await erin.onlineNames(), ['erin']);
    assert.deepEqual(await p.$$eval('#messages .notice', (n) => n.map((x) => x.textContent)),
      ['You joined #erins-room.'], 'a fresh start after the refusal');

    // A reload stays in the room; Leave goes back to a form that remembers the last join.
    await p.reload();
    await p.waitForFunction(() => !document.querySelector('#composer-input').disabled);
    assert.equal(await p.textContent('#room-name'), 'erins-room');
    await p.click('#leave-button');
    await p.waitForSelector('#join-form', { state: 'visible' });
    assert.equal(await p.inputValue('#join-email'), 'erin@example.com');
    assert.equal(await p.inputValue('#join-room'), 'erins-room');
    erin.assertClean();
    pages.splice(pages.indexOf(erin), 1);
    await context.close();
  });

  test('a browser without WebSocket is told so plainly', async () => {
    const context = await newContext(browser);
    await context.addInitScript(() => {
      delete window.WebSocket;
    });
    const old = await openChat(context);
    await old.page.waitForSelector('#no-websocket', { state: 'visible' });
    assert.match(await old.page.textContent('#no-websocket'), /does not support WebSockets/);
    assert.equal(await old.page.isVisible('#join-form'), false);
    old.assertClean();
    pages.splice(pages.indexOf(old), 1);
    await context.close();
  });

  test("closing a tab removes that user from the others' lists", async () => {
    const carolName = '<b onmouseover=alert(2)>carol</b>';
    const carolContext = await newContext(browser);
    const carol = await openChat(carolContext);
    await carol.join({ email: 'carol@example.com', room: ROOM, name: carolName });
    await ann.waitForOnline(['ann.lee', 'Bob Martin', carolName]);
    await bob.waitForOnline(['ann.lee', 'Bob Martin', carolName]);
    assert.equal(await ann.page.$$eval('#users b, #messages b', (b) => b.length), 0, 'names stay text');

    await carol.page.close();
    pages.splice(pages.indexOf(carol), 1);
    await ann.waitForOnline(['ann.lee', 'Bob Martin']);
    await bob.waitForOnline(['ann.lee', 'Bob Martin']);
    await ann.waitForNotice(carolName + ' left');
    await carolContext.close();
  });

  test('a big room after a storm of joins and leaves: the list and the count are exact', async () => {
    const dave = await openChat(await newContext(browser));
    await dave.join({ email: 'dave@example.com', room: 'big' });
    await dave.waitForOnline(['dave']);
    const storm = spawn(PYTHON, [path.join(here, 'storm.py'), '--target', `127.0.0.1:${roomdPort}`,
      '--room', 'big', '--joins', '40', '--churn', '15'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const line = await new Promise((resolve, reject) => {
        let out = '';
        storm.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) {
            resolve(out.slice(0, out.indexOf('\n')));
          }
        });
        storm.once('exit', (code) => reject(new Error(`storm.py exited ${code} before its storm ended`)));
      });
      const { online } = JSON.parse(line);
      assert.equal(online.length, 40);
      await dave.waitForWholeList(['dave', ...online]);
      storm.stdin.end();  // everyone leaves
      await dave.waitForWholeList(['dave']);
    } finally {
      storm.kill();
    }
  });

  test('batched and repeated events are each handled once, in order', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    // Between the page and the bridge: every message arrives twice inside one batch, as a
    // resume overlap or a loaded server could deliver it.
    await page.routeWebSocket(/\/chat$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((frame) => server.send(frame));
      server.onMessage((frame) => {
        const event = JSON.parse(frame);
        const events = event.batch ? event.batch.events : [event];
        if (!events.some((e) => e.message)) {
          ws.send(frame);
          return;
        }
        ws.send(JSON.stringify({ batch: { events: events.flatMap((e) => (e.message ? [e, e] : [e])) } }));
      });
    });
    const dave = new ChatPage(page);
    pages.push(dave);
    await page.goto(base);
    await dave.join({ email: 'dave@example.com', room: ROOM });
    console.log(JSON.stringify(await dave.messages()).slice(0, 600));
    await dave.assertEachOnce(said);  // Welcome.history: everything so far
    await say(ann, 'One for Dave.');
    await say(bob, 'And one more.');
    await dave.waitForMessage('And one more.');
    await dave.assertEachOnce(said);
    const seqs = (await dave.messages()).map((m) => Number(m.seq));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'shown in seq order');
    dave.assertClean();
    pages.splice(pages.indexOf(dave), 1);
    await context.close();
    await ann.waitForOnline(['ann.lee', 'Bob Martin']);
  });

  test('a send cut off before its echo is sent again on reconnect and shown once', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    // Between the page and the bridge: the first send reaches the bridge, then the
    // connection is cut before any echo; the next Welcome comes without its history, so
    // the page cannot tell from it whether roomd got the message: it sends it again.
    let cut = false;
    let resent = 0;
    await page.routeWebSocket(/\/chat$/, (ws) => {
      const server = ws.connectToServer();
      const afterCut = cut;
      ws.onMessage((frame) => {
        server.send(frame);
        const event = JSON.parse(frame);
        if (event.send && afterCut) {
          resent++;
        }
        if (event.send && !cut) {
          cut = true;
          ws.close({ code: 4014, reason: 'cut by the test' });
          server.close();
        }
      });
      server.onMessage((frame) => {
        const event = JSON.parse(frame);
        if (afterCut && event.welcome) {
          delete event.welcome.history;
          ws.send(JSON.stringify(event));
          return;
        }
        ws.send(frame);
      });
    });
    const erin = new ChatPage(page);
    pages.push(erin);
    await page.goto(base);
    await erin.join({ email: 'erin@example.com', room: ROOM });
    const text = 'Sent just before the connection was cut.';
    await page.fill('#composer-input', text);
    await page.press('#composer-input', 'Enter');
    said.push(text);
    await erin.waitForNotice('Reconnected');
    await erin.waitForMessage(text, { own: true });
    await ann.waitForMessage(text);
    assert.equal(resent, 1, 'the page sent the message again after reconnecting');
    for (const chat of [erin, ann, bob]) {
      await chat.assertEachOnce([text]);
    }
    await say(ann, 'Got it once, Erin.');
    await erin.waitForMessage('Got it once, Erin.');
    await ann.assertEachOnce([text]);
    const pending = (await erin.messages()).filter((m) => m.seq === null);
    assert.deepEqual(pending, [], 'nothing left unconfirmed');
    erin.assertClean();
    pages.splice(pages.indexOf(erin), 1);
    await context.close();
    await ann.waitForOnline(['ann.lee', 'Bob Martin']);
  });

  test('wsbridge restarted: the page resumes after its last seq, missing nothing, doubling nothing', async () => {
    const lostBefore = (await ann.notices()).filter((n) => n.includes('Connection lost')).length;
    const lastSeen = await ann.maxSeq();
    await bridge.stop('SIGTERM');
    await ann.waitForNotice('Connection lost', lostBefore + 1);
    await bob.waitForNotice('Connection lost', lostBefore + 1);

    // Said while no browser could hear: it must come from Welcome.history on resume.
    const missed = ['Posted while the bridge was down (1 of 2).', 'Posted while the bridge was down (2 of 2).'];
    await bot(...missed);
    const queued = 'Typed by Bob while the bridge was down.';
    await bob.page.fill('#composer-input', queued);
    await bob.page.press('#composer-input', 'Enter');
    said.push(queued);

    bridge = startBridge();
    await ann.waitForNotice('Reconnected', 1);
    await bob.waitForNotice('Reconnected', 1);
    assert.equal(ann.joins.at(-1).afterSeq, String(lastSeen), 'resumes after the last seq seen');
    for (const chat of [ann, bob]) {
      for (const text of [...missed, queued]) {
        await chat.waitForMessage(text);
      }
    }
    await say(ann, 'Back through the new bridge.');
    await bob.waitForMessage('Back through the new bridge.');
    for (const chat of [ann, bob]) {
      await chat.assertEachOnce(said);
      const seqs = (await chat.messages()).map((m) => Number(m.seq));
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'shown in seq order');
      assert.equal(new Set(seqs).size, seqs.length, 'no seq twice');
    }
  });

  test('roomd restarted mid-chat: the page shows what the new room holds, and the chat works', async () => {
    const before = said.slice();
    const lostBefore = (await ann.notices()).filter((n) => n.includes('Connection lost')).length;
    await roomd.stop('SIGKILL');
    await ann.waitForNotice('Connection lost', lostBefore + 1);
    await bob.waitForNotice('Connection lost', lostBefore + 1);

    const queued = 'Typed by Ann while roomd was down.';
    await ann.page.fill('#composer-input', queued);
    await ann.page.press('#composer-input', 'Enter');
    said.push(queued);

    roomd = startRoomd();
    // The memory-broker roomd numbers seqs from 1 again (a new Welcome.epoch): the pages
    // drop the messages (and notices) of the old numbering and say why.
    for (const chat of [ann, bob]) {
      await chat.waitForNotice('The chat server restarted');
      await chat.waitForNotice('Reconnected');
    }
    for (const chat of [ann, bob]) {
      const shown = (await chat.messages()).map((m) => m.text);
      assert.deepEqual(shown.filter((t) => before.includes(t)), [], 'old messages cleared');
      assert.ok(chat.joins.at(-1).epoch, 'the rejoin names the epoch of its seqs');
    }
    await ann.waitForOnline(['ann.lee', 'Bob Martin']);
    await bob.waitForOnline(['ann.lee', 'Bob Martin']);
    await bob.waitForMessage(queued);
    await ann.waitForMessage(queued, { own: true });

    await say(bob, 'Still here after the roomd restart?');
    await ann.waitForMessage('Still here after the roomd restart?');
    await say(ann, 'Yes, all good.');
    await bob.waitForMessage('Yes, all good.');
    await bot('Bot back online after the restart.');
    await ann.waitForMessage('Bot back online after the restart.');
    await bob.waitForMessage('Bot back online after the restart.');
    for (const chat of [ann, bob]) {
      await chat.assertEachOnce(said.filter((t) => !before.includes(t)));
      const pending = (await chat.messages()).filter((m) => m.seq === null);
      assert.deepEqual(pending, [], 'no message left unconfirmed or failed');
      const seqs = (await chat.messages()).map((m) => Number(m.seq));
      assert.equal(seqs[0], 1, 'the new numbering from its start');
    }
  });

  test('no script errors, dialogs or broken images on any page', async () => {
    for (const chat of pages) {
      await chat.waitForNoBrokenImages();
      chat.assertClean();
    }
  });
});
