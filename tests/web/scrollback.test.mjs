// Scrollback in a real browser, with roomd keeping history in SQLite: the page shows the
// latest messages, loads older ones when the reader scrolls to the top without moving what
// is in view, reaches the first message and says it is the beginning of the room.
// Env: see harness.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ChatPage, launchBrowser, newContext } from './chat_page.mjs';
import { TEST_OUTPUT_DIR, run, startServers, stopAll } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const ROOM = 'history';
const TOTAL = 130;  // the Welcome holds 30 (--history_size); pages of 50 bring the rest
const POLL = { polling: 100 };

describe('scrollback through wsbridge and roomd --store=sqlite', { timeout: 180000 }, () => {
  let roomd;
  let bridge;
  let browser;
  let base;
  let stateDir;

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scrollback-'));
    let roomdPort;
    ({ roomd, bridge, base, roomdPort } = await startServers({
      outDir: TEST_OUTPUT_DIR, suffix: '-scrollback',
      roomdArgs: ['--store', `sqlite:${path.join(stateDir, 'roomd.db')}`, '--history_size', '30'],
    }));
    const texts = Array.from({ length: TOTAL }, (_, i) => `old message ${i + 1}`);
    const res = await run(PYTHON, [path.join(here, 'bot.py'), '--target', `127.0.0.1:${roomdPort}`,
      '--room', ROOM, '--email', 'archivist@example.com', ...texts], 60000);
    assert.equal(res.code, 0, `bot failed: ${res.stderr}`);
    browser = await launchBrowser();
  });

  after(async () => {
    await stopAll(browser, bridge, roomd);
    if (stateDir) {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('scrolling to the top loads older messages, keeps the view, ends at the beginning', async () => {
    const chat = await ChatPage.open(await newContext(browser), base);
    await chat.join({ email: 'reader@example.com', room: ROOM });
    await chat.waitForMessage(`old message ${TOTAL}`);
    const p = chat.page;
    const seqs = () => p.$$eval('#messages .msg[data-seq]', (items) => items.map((m) => Number(m.dataset.seq)));
    const shownAtStart = await seqs();
    assert.ok(shownAtStart[0] > 1, `the Welcome should not hold everything: ${shownAtStart}`);

    // One step by hand: where the oldest message sits in view before and after the load.
    const anchor = shownAtStart[0];
    const viewTop = (seq) => p.$eval(`#messages li[data-seq="${seq}"]`, (li) =>
      li.getBoundingClientRect().top - li.parentElement.getBoundingClientRect().top);
    await p.$eval('#messages', (l) => { l.scrollTop = 0; });
    const before = await viewTop(anchor);
    await p.waitForFunction((a) => {
      const first = document.querySelector('#messages li[data-seq]');
      return first && Number(first.dataset.seq) < a;
    }, anchor, POLL);
    const afterLoad = await viewTop(anchor);
    assert.ok(Math.abs(afterLoad - before) <= 2,
      `message ${anchor} moved from ${before}px to ${afterLoad}px when older ones came in`);

    // Keep going up until the marker shows (bounded: a few pages).
    for (let i = 0; i < 10; i++) {
      if (await p.$('#messages .notice.beginning')) {
        break;
      }
      await p.$eval('#messages', (l) => { l.scrollTop = 0; l.dispatchEvent(new Event('scroll')); });
      await p.waitForFunction(() => {
        const l = document.querySelector('#messages');
        return document.querySelector('#messages .notice.beginning') || l.scrollTop > 0;
      }, null, POLL);
    }
    const marker = await p.waitForSelector('#messages .notice.beginning');
    assert.equal(await marker.textContent(), `This is the beginning of #${ROOM}.`);
    assert.equal(await p.$eval('#messages', (l) => l.firstElementChild.classList.contains('beginning')), true);
    assert.deepEqual(await seqs(), Array.from({ length: TOTAL }, (_, i) => i + 1));
    await chat.assertEachOnce([`old message 1`, `old message 61`, `old message ${TOTAL}`]);
    assert.deepEqual(chat.errors, []);
  });
});
