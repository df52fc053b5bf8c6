// Debian's Chromium driven by playwright-core (never a downloaded browser), and ChatPage:
// what a person does on web/ and sees there, in the page's own terms.
import assert from 'node:assert/strict';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  throw new Error('playwright-core is missing: run `npm ci --prefix tests/web` first (' + err.message + ')');
}

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const POLL = { polling: 100 };

// launch() gives each run a fresh temporary profile (user-data-dir) and removes it on close.
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
}

export async function newContext(browser, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1200, height: 760 },
    locale: 'en-US',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',  // no half-finished slide-ins in screenshots
    ...options,
  });
  context.setDefaultTimeout(20000);
  // No internet here: fail Gravatar at once, as an offline reader's browser would.
  await context.route(/^https?:\/\/([a-z]+\.)?gravatar\.com\//, (route) => route.abort());
  return context;
}

export class ChatPage {
  constructor(page) {
    this.page = page;
    this.errors = [];
    this.dialogs = [];
    this.joins = [];  // every Join the page sent, in order
    page.on('websocket', (ws) => ws.on('framesent', (frame) => {
      try {
        const event = JSON.parse(frame.payload);
        if (event.join) {
          this.joins.push(event.join);
        }
      } catch {
        // not JSON: not a Join
      }
    }));
    page.on('pageerror', (err) => this.errors.push(err.message));
    page.on('dialog', (dialog) => {
      this.dialogs.push(dialog.type() + ': ' + dialog.message());
      dialog.dismiss().catch(() => {});
    });
  }

  static async open(context, baseUrl) {
    const chat = new ChatPage(await context.newPage());
    // What each WebSocket upgrade agreed to (Sec-WebSocket-Extensions), seen by Chromium.
    chat.socketExtensions = [];
    const cdp = await context.newCDPSession(chat.page);
    await cdp.send('Network.enable');
    cdp.on('Network.webSocketHandshakeResponseReceived', ({ response }) => {
      const headers = Object.fromEntries(
        Object.entries(response.headers).map(([k, v]) => [k.toLowerCase(), v]));
      chat.socketExtensions.push(headers['sec-websocket-extensions'] ?? '');
    });
    await chat.page.goto(baseUrl);
    return chat;
  }

  async join({ email, room, name = '' }) {
    const p = this.page;
    await p.fill('#join-email', email);
    await p.fill('#join-room', room);
    await p.fill('#join-name', name);
    await p.click('#join-button');
    await p.waitForFunction(() => !document.querySelector('#composer-input').disabled, null, POLL);
  }

  // Types text and presses Enter; resolves once the server echoed it (confirmed, has a seq).
  async send(text) {
    await this.page.fill('#composer-input', text);
    await this.page.press('#composer-input', 'Enter');
    await this.waitForMessage(text, { own: true });
  }

  // Waits until `count` confirmed messages with exactly this text are shown.
  async waitForMessage(text, { count = 1, own } = {}) {
    await this.page.waitForFunction(([t, n, mine]) => {
      const found = Array.from(document.querySelectorAll('#messages .msg[data-seq]')).filter((m) =>
        m.querySelector('.msg-text').textContent === t &&
        (mine === undefined || m.classList.contains('own') === mine));
      return found.length >= n;
    }, [text, count, own], POLL);
  }

  // Every message shown (confirmed or not): {name, text, own, seq, state}.
  messages() {
    return this.page.$$eval('#messages .msg', (items) => items.map((m) => ({
      name: m.querySelector('.msg-name').textContent,
      text: m.querySelector('.msg-text').textContent,
      own: m.classList.contains('own'),
      seq: m.dataset.seq || null,
      state: m.querySelector('.msg-state') ? m.querySelector('.msg-state').textContent : '',
    })));
  }

  async maxSeq() {
    return Math.max(0, ...(await this.messages()).map((m) => Number(m.seq || 0)));
  }

  // Asserts each text is shown exactly once.
  async assertEachOnce(texts) {
    const shown = (await this.messages()).map((m) => m.text);
    for (const text of texts) {
      assert.equal(shown.filter((t) => t === text).length, 1,
        `"${text}" should be shown once, page shows: ${JSON.stringify(shown)}`);
    }
  }

  onlineNames() {
    return this.page.$$eval('#users .user-name', (items) => items.map((n) => n.textContent).sort());
  }

  async waitForOnline(names) {
    const want = [...names].sort();
    try {
      await this.page.waitForFunction((w) => {
        const have = Array.from(document.querySelectorAll('#users .user-name'), (n) => n.textContent).sort();
        return JSON.stringify(have) === JSON.stringify(w) &&
          document.getElementById('users-count').textContent === String(w.length);
      }, want, POLL);
    } catch (err) {
      // Say what the page showed instead, and why (its status line): a timeout alone does not.
      const status = await this.page.textContent('#status-text').catch(() => '?');
      throw new Error(`waiting for online ${JSON.stringify(want)}, the page shows ` +
        `${JSON.stringify(await this.onlineNames())}, status "${status}": ${err.message}`);
    }
  }

  // Like waitForOnline, for a list that comes a page at a time: scrolls the people panel to
  // its end while waiting, as a reader would, so that every page gets fetched.
  async waitForWholeList(names) {
    const want = [...names].sort();
    await this.page.waitForFunction((w) => {
      const panel = document.getElementById('users-panel');
      panel.scrollTop = panel.scrollHeight;
      const have = Array.from(document.querySelectorAll('#users .user-name'), (n) => n.textContent).sort();
      return JSON.stringify(have) === JSON.stringify(w) &&
        document.getElementById('users-count').textContent === String(w.length);
    }, want, { polling: 100, timeout: 60000 });
  }

  notices() {
    return this.page.$$eval('#messages .notice', (items) => items.map((n) => n.textContent));
  }

  // Waits until at least `count` notices contain `part`. A reconnect may wait out a backoff
  // of several seconds, hence the longer default.
  async waitForNotice(part, count = 1, timeout = 45000) {
    await this.page.waitForFunction(([s, n]) =>
      Array.from(document.querySelectorAll('#messages .notice'))
        .filter((x) => x.textContent.includes(s)).length >= n, [part, count], { ...POLL, timeout });
  }

  async waitForTyping(expected) {
    await this.page.waitForFunction((e) =>
      document.getElementById('typing').textContent === e, expected, POLL);
  }

  // No image may ever show as broken: each is either loaded or already removed.
  async waitForNoBrokenImages() {
    await this.page.waitForFunction(() =>
      Array.from(document.images).every((img) => img.classList.contains('loaded')), null, POLL);
  }

  assertClean() {
    assert.deepEqual(this.errors, [], 'no script errors');
    assert.deepEqual(this.dialogs, [], 'no dialogs');
  }
}
