// The chat page: the join form, then the room: messages, who is online, typing, and the
// composer, fed by a Connection to wsbridge. A module: nothing leaks into the global scope.
// User text only ever reaches the DOM through textContent; HTML comes from fixed strings.
import { avatar } from './avatar.js';
import { el } from './dom.js';
import { Connection } from './connection.js';
import { MessageList } from './message_list.js';
import { TokenSource } from './token.js';
import { OnlineList } from './online_list.js';
import { Scrollback } from './scrollback.js';

const STORE_KEY = 'chat.join';      // localStorage: the last email, room and name
const ACTIVE_KEY = 'chat.active';   // sessionStorage: this tab is in a room (a reload rejoins)
const ROOM_RE = /^[A-Za-z0-9._-]{1,64}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;  // roomd checks more; this catches typos early
const TYPING_IDLE_MS = 3000;        // we stop "typing" after this long without a keystroke,
const TYPING_REFRESH_MS = 2500;     // and say it again this often, as notices expire in roomd;
const TYPING_EXPIRE_MS = 7000;      // others' typing is forgotten if not refreshed in time
const RETURNING_MS = 30000;         // after a reconnect, others reconnecting are not "joined"
const MORE_USERS_PX = 300;          // fetch the next page of people this close to the list's end

const $ = (id) => document.getElementById(id);
const ui = {
  joinView: $('join-view'), joinForm: $('join-form'), joinError: $('join-error'),
  email: $('join-email'), emailError: $('join-email-error'),
  room: $('join-room'), roomError: $('join-room-error'), name: $('join-name'),
  chatView: $('chat-view'), roomName: $('room-name'), connDot: $('conn-dot'), me: $('me'),
  leave: $('leave-button'), usersToggle: $('users-toggle'), usersToggleCount: $('users-toggle-count'),
  status: $('status'), statusText: $('status-text'), statusAction: $('status-action'),
  typing: $('typing'), composer: $('composer'), input: $('composer-input'), send: $('send-button'),
  usersPanel: $('users-panel'), users: $('users'), usersCount: $('users-count'),
};
const messages = new MessageList($('messages'), $('jump'));
const tokens = new TokenSource();  // roomd --auth=jwt: who we are, proven
let refreshTimer = 0;
const scrollback = new Scrollback($('messages'), messages,
  (beforeSeq, limit) => !!state.conn && state.conn.send({ historyPage: { beforeSeq, limit } }),
  (m) => entryOf(m));

const state = {
  identity: null,      // {email, room, name}
  conn: null,          // the Connection of the current session
  self: null,          // our User, from Welcome
  online: new OnlineList((pageToken, pageSize) =>
    !!state.conn && state.conn.send({ presencePage: { pageToken: pageToken, pageSize: pageSize } })),
  typers: new Map(),   // id -> {user, timer}
  returning: new Set(), // ids online before a drop: their rejoin right after ours is no news
  returningUntil: 0,
  pending: new Map(),  // clientId -> {clientId, text, li, sent, failed}: not yet echoed
  typingSent: false,
  typingAt: 0,
  typingIdleTimer: 0,
  statusTimer: 0,
  countdownTimer: 0,
  unread: 0,
};
const clientPrefix = 'c-' + Array.from(crypto.getRandomValues(new Uint8Array(6)),
  (b) => b.toString(16).padStart(2, '0')).join('') + '-';
let clientCounter = 0;

function displayName(user) {
  return (user && user.name) || 'someone';
}

function readJson(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) || 'null');
  } catch (e) {
    return null;  // storage disabled or garbled: start blank
  }
}

function writeJson(storage, key, value) {
  try {
    if (value === null) {
      storage.removeItem(key);
    } else {
      storage.setItem(key, JSON.stringify(value));
    }
  } catch (e) {
    // private mode or full: remembering is only a convenience
  }
}

// The bridge's close reasons read "summary: detail"; a reconnect notice needs the summary.
function summary(reason) {
  const cut = reason.indexOf(': ');
  return reason.length > 40 && cut > 0 ? reason.slice(0, cut) : reason;
}

function notice(text, kind) {
  messages.update(() => messages.addNotice(text, kind));
}

function updateTitle() {
  const room = state.identity ? '#' + state.identity.room + ' · Chat' : 'Chat';
  document.title = (state.unread ? '(' + state.unread + ') ' : '') + room;
}

// ------------------------------------------------------------------ status banner

function setStatus(text, kind, action) {
  clearTimeout(state.statusTimer);
  clearInterval(state.countdownTimer);
  ui.status.className = 'status' + (kind ? ' ' + kind : '');
  ui.statusText.textContent = text;
  ui.statusAction.hidden = !action;
  ui.statusAction.onclick = action ? action.run : null;
  ui.statusAction.textContent = action ? action.label : '';
  ui.status.title = '';
  ui.status.hidden = false;
}

function clearStatus() {
  clearTimeout(state.statusTimer);
  clearInterval(state.countdownTimer);
  ui.status.hidden = true;
}

function setConnection(kind, label) {
  ui.connDot.className = 'conn-dot ' + kind;
  ui.connDot.setAttribute('aria-label', label);
  ui.connDot.title = label;
}

// ------------------------------------------------------------------ people

function renderUsers() {
  const selfId = state.self && state.self.id;
  const users = new Map(state.online.users);
  if (selfId) {
    users.set(selfId, state.self);  // always first, whatever page we are on
  }
  const list = Array.from(users.values()).sort((a, b) =>
    (b.id === selfId) - (a.id === selfId) || displayName(a).localeCompare(displayName(b)));
  ui.users.replaceChildren(...list.map((user) => {
    const li = el('li', 'user');
    li.append(avatar(user), el('span', 'user-name', displayName(user)));
    if (user.bot) {
      li.append(el('span', 'bot-badge', 'bot'));
    }
    if (user.id === selfId) {
      li.append(el('span', 'user-you', '(you)'));
    }
    li.append(el('span', 'user-status'));
    return li;
  }));
  const count = String(Math.max(state.online.count, list.length));
  ui.usersCount.textContent = count;
  ui.usersToggleCount.textContent = count;
  maybeMoreUsers();
}

// A big room's list comes a page at a time: the next one when the reader nears the end
// (or when the list does not fill the panel yet).
function maybeMoreUsers() {
  const panel = ui.usersPanel;
  if (panel.scrollTop + panel.clientHeight + MORE_USERS_PX >= panel.scrollHeight) {
    state.online.more();
  }
}

function renderTyping() {
  const names = Array.from(state.typers.values(), (t) => displayName(t.user));
  ui.typing.textContent = names.length === 0 ? ''
    : names.length === 1 ? names[0] + ' is typing…'
      : names.length === 2 ? names[0] + ' and ' + names[1] + ' are typing…'
        : 'Several people are typing…';
}

function forgetTyper(id) {
  const t = state.typers.get(id);
  if (t) {
    clearTimeout(t.timer);
    state.typers.delete(id);
    renderTyping();
  }
}

function clearTypers() {
  for (const id of Array.from(state.typers.keys())) {
    forgetTyper(id);
  }
}

// ------------------------------------------------------------------ events from the room

const handlers = {
  welcome(w) {
    scheduleRefresh();
    state.self = w.self;
    state.online.welcome(w.online, w.onlineCount, w.nextPageToken);
    if (w.self.id && state.online.complete) {
      state.online.users.set(w.self.id, w.self);
    }
    renderUsers();
    ui.me.replaceChildren(avatar(w.self), el('span', 'me-name', displayName(w.self)));
    ui.usersPanel.classList.remove('stale');
    state.returningUntil = Date.now() + RETURNING_MS;
    messages.update(() => {
      if (w.gap === 'reset') {
        // What is shown belongs to an earlier numbering of the room: start again from what
        // the room holds now; messages still waiting to be sent stay, after it.
        messages.clear();
        messages.addNotice('The chat server restarted: this is what the room holds now.', 'warn');
      } else if (w.gap === 'restarted') {
        messages.addNotice('The chat server restarted without its history: the messages above are only in this window.', 'warn');
      } else if (w.gap === 'missed') {
        messages.addNotice('Some messages from while you were away are not shown.', 'warn');
      }
      w.history.forEach(showMessage);
      if (w.gap === 'reset') {
        for (const p of state.pending.values()) {
          messages.moveToEnd(p.li);
        }
      }
      if (w.reconnect) {
        messages.addNotice('Reconnected.', 'ok');
      } else {
        messages.addNotice('You joined #' + w.room + '.');
      }
    }, { force: !w.reconnect });
    if (w.reconnect) {
      setStatus('Reconnected.', 'ok');
      state.statusTimer = setTimeout(clearStatus, 4000);
    } else {
      clearStatus();
      ui.input.focus();
    }
    setConnection('online', 'Connected');
    ui.input.disabled = false;
    ui.send.disabled = false;
    resendPending();
    if (w.reconnect) {
      scrollback.resume();
    } else {
      scrollback.reset(w.room);
    }
    scrollback.maybeLoad();
  },

  historyPage(page) {
    scrollback.onPage(page);
  },

  message(m) {
    messages.update(() => showMessage(m));
  },

  // roomd's answer to a resend it had posted before: the original, shown if still pending.
  echo(m) {
    if (m.clientId && state.pending.has(m.clientId)) {
      messages.update(() => showMessage(m));
    }
  },

  presence(p) {
    // A big room's ticks (joinedUsers, leftUsers) change the list quietly: no notices.
    const news = state.online.presence(p);
    if (news.joined) {
      const returning = state.returning.delete(news.joined.id) && Date.now() < state.returningUntil;
      if (!returning) {
        notice(displayName(news.joined) + ' joined.');
      }
    }
    if (news.left) {
      notice(displayName(news.left) + ' left.');
    }
    for (const user of (p.left ? [p.left] : []).concat(p.leftUsers || [])) {
      forgetTyper(user.id);
    }
    renderUsers();
  },

  presencePage(page) {
    state.online.page(page);
    renderUsers();
  },

  typing(t) {
    const user = t.user;
    if (!user || !user.id || (state.self && user.id === state.self.id)) {
      return;
    }
    forgetTyper(user.id);
    if (t.active) {
      const timer = setTimeout(() => forgetTyper(user.id), TYPING_EXPIRE_MS);
      state.typers.set(user.id, { user: user, timer: timer });
      renderTyping();
    }
  },

  error(e) {
    const text = e.message || e.code || 'unknown error';
    const p = e.clientId ? state.pending.get(e.clientId) : null;
    if (p) {
      failPending(p, 'Not sent: ' + text);
    } else if (state.conn && state.conn.ready) {
      notice(text, 'error');
    }
    // before Welcome: the close that follows carries the reason
  },

  lost(reason) {
    stopTyping(false);
    clearTypers();
    ui.usersPanel.classList.add('stale');  // who is online is unknown until the next Welcome
    state.returning = new Set(state.online.users.keys());
    for (const p of state.pending.values()) {
      if (!p.failed) {
        messages.update(() => messages.setPending(p.li, 'Waiting for the connection…'), { quiet: true });
      }
    }
    notice('Connection lost' + (reason ? ' (' + summary(reason) + ')' : '') + ', reconnecting…', 'warn');
  },

  retrying(reason, delayMs, wasIn) {
    setConnection('offline', 'Reconnecting');
    const lead = (wasIn ? 'Connection lost' : 'Cannot reach the chat server') +
      (reason ? ' (' + summary(reason) + ')' : '') + (wasIn ? ', reconnecting' : ', retrying');
    const retryAt = Date.now() + delayMs;
    setStatus(lead + '…', 'warn', { label: 'Retry now', run: () => state.conn.retryNow() });
    ui.status.title = reason;  // the full detail, for the curious
    const tick = () => {
      const secs = Math.ceil((retryAt - Date.now()) / 1000);
      ui.statusText.textContent = lead + (secs > 1 ? ' in ' + secs + ' s…' : '…');
    };
    tick();
    state.countdownTimer = setInterval(tick, 1000);
  },

  // Final: before the first Welcome the join form says why; later a banner does.
  refused(reason) {
    setConnection('failed', 'Disconnected');
    writeJson(sessionStorage, ACTIVE_KEY, null);
    if (!state.self) {
      endSession();
      showJoin('Could not join: ' + reason);
      return;
    }
    stopTyping(false);
    clearTypers();
    notice('Disconnected: ' + reason, 'error');
    setStatus('Disconnected: ' + reason + '.', 'error', { label: 'Back to join', run: leave });
    ui.input.disabled = true;
    ui.send.disabled = true;
  },
};

// Shows a confirmed message; our own replaces its pending copy.
// What MessageList shows of a ChatMessage.
function entryOf(m) {
  const from = m.from || {};
  const own = !!state.self && !!from.id && from.id === state.self.id;
  const sentAt = new Date(m.sentAt || Date.now());
  return { user: from, text: m.text || '', own: own, seq: m.seq,
    date: isNaN(sentAt.getTime()) ? new Date() : sentAt };
}

function showMessage(m) {
  const from = m.from || {};
  const own = !!state.self && !!from.id && from.id === state.self.id;
  const p = own && m.clientId ? state.pending.get(m.clientId) : null;
  if (p) {
    state.pending.delete(p.clientId);
    messages.remove(p.li);
  }
  messages.addMessage(entryOf(m));
  forgetTyper(from.id);
  if (!own && document.hidden) {
    state.unread++;
    updateTitle();
  }
}

// ------------------------------------------------------------------ sending

function transmit(p) {
  const sent = state.conn.send({ send: { text: p.text, clientId: p.clientId } });
  p.sent = p.sent || sent;
  messages.update(() => messages.setPending(p.li, sent ? 'Sending…' : 'Waiting for the connection…'),
    { quiet: true });
}

function failPending(p, text) {
  p.failed = true;
  messages.update(() => messages.setFailed(p.li, text, () => retryPending(p), () => {
    state.pending.delete(p.clientId);
    messages.remove(p.li);
    ui.input.focus();
  }), { quiet: true });
}

function retryPending(p) {
  p.failed = false;
  p.sent = false;
  messages.update(() => messages.moveToEnd(p.li), { force: true });
  transmit(p);
  ui.input.focus();
}

// After a (re)join every pending message goes (again): roomd remembers each clientId it
// posted, so one it already has comes back as its original echo and is never posted twice.
function resendPending() {
  for (const p of state.pending.values()) {
    if (!p.failed) {
      transmit(p);
    }
  }
}

function submitMessage() {
  const text = ui.input.value.replace(/^\s*\n/, '').trimEnd();
  if (!text.trim() || !state.self) {
    return;
  }
  clientCounter++;
  const p = { clientId: clientPrefix + clientCounter, text: text, li: null, sent: false, failed: false };
  messages.update(() => {
    p.li = messages.addPending({ user: state.self, text: text, date: new Date() });
  }, { force: true });
  state.pending.set(p.clientId, p);
  transmit(p);
  ui.input.value = '';
  autosize();
  stopTyping(true);
}

// Typing: "active" on the first keystroke and again every few seconds while it goes on;
// "inactive" when the box empties, the message goes, or the writer pauses.
function onInput() {
  autosize();
  if (!ui.input.value.trim()) {
    stopTyping(true);
    return;
  }
  const now = Date.now();
  if ((!state.typingSent || now - state.typingAt > TYPING_REFRESH_MS) &&
      state.conn.send({ typing: { active: true } })) {
    state.typingSent = true;
    state.typingAt = now;
  }
  clearTimeout(state.typingIdleTimer);
  state.typingIdleTimer = setTimeout(() => stopTyping(true), TYPING_IDLE_MS);
}

function stopTyping(tell) {
  clearTimeout(state.typingIdleTimer);
  if (state.typingSent && tell && state.conn) {
    state.conn.send({ typing: { active: false } });
  }
  state.typingSent = false;
}

function autosize() {
  ui.input.style.height = 'auto';
  ui.input.style.height = Math.min(ui.input.scrollHeight, 160) + 'px';
}

// ------------------------------------------------------------------ screens

function startSession(identity) {
  state.identity = identity;
  state.self = null;
  state.online.welcome([], 0, '');
  state.returning.clear();
  state.pending.clear();
  state.unread = 0;
  clearTypers();
  messages.clear();
  renderUsers();
  updateTitle();
  ui.me.replaceChildren();
  ui.roomName.textContent = identity.room;
  ui.usersPanel.classList.remove('stale');
  ui.input.value = '';
  ui.input.disabled = true;
  ui.send.disabled = true;
  setConnection('', 'Connecting');
  setStatus('Connecting…', 'info');
  ui.joinView.hidden = true;
  ui.chatView.hidden = false;
  writeJson(sessionStorage, ACTIVE_KEY, true);
  state.conn = new Connection(identity, handlers);
  state.conn.start();
}

// Fetches a new token ahead of expiry and hands it to roomd (ClientEvent.refresh), so the
// session outlives its first token; reconnects join with the newest one.
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  const delay = tokens.refreshDelayMs();
  if (delay === null) {
    return;
  }
  refreshTimer = setTimeout(async () => {
    try {
      const token = await tokens.fetch();
      if (state.conn) {
        state.conn.send({ refresh: { token: token } });
      }
    } catch (e) {
      notice('Could not renew your sign-in: ' + e.message, 'warn');
    }
    scheduleRefresh();
  }, delay);
}

function endSession() {
  clearTimeout(refreshTimer);
  stopTyping(true);
  clearStatus();
  if (state.conn) {
    state.conn.close();
  }
}

function leave() {
  writeJson(sessionStorage, ACTIVE_KEY, null);
  endSession();
  state.identity = null;
  updateTitle();
  showJoin('');
}

function showJoin(error) {
  ui.chatView.hidden = true;
  ui.joinView.hidden = false;
  closeUsersPanel(false);
  ui.joinError.textContent = error;
  ((tokens.enabled ? [ui.room] : [ui.email, ui.room]).find((input) => !input.value) ||
    (tokens.enabled ? ui.room : ui.email)).focus();
}

function validate() {
  if (tokens.enabled) {
    const room = ui.room.value.trim();
    const roomError = !room ? 'Please enter a room name.'
      : ROOM_RE.test(room) ? '' : 'Use 1–64 letters, digits, dots, dashes or underscores.';
    ui.roomError.textContent = roomError;
    ui.room.setAttribute('aria-invalid', String(!!roomError));
    return roomError ? null : { room: room, token: () => tokens.token };
  }
  const email = ui.email.value.trim();
  const room = ui.room.value.trim();
  let emailError = '';
  let roomError = '';
  if (!email) {
    emailError = 'Please enter your email.';
  } else if (!EMAIL_RE.test(email) || email.length > 254 || ui.email.validity.typeMismatch) {
    emailError = 'That does not look like an email address.';
  }
  if (!room) {
    roomError = 'Please enter a room name.';
  } else if (!ROOM_RE.test(room)) {
    roomError = 'Use 1–64 letters, digits, dots, dashes or underscores.';
  }
  ui.emailError.textContent = emailError;
  ui.roomError.textContent = roomError;
  ui.email.setAttribute('aria-invalid', String(!!emailError));
  ui.room.setAttribute('aria-invalid', String(!!roomError));
  if (emailError || roomError) {
    (emailError ? ui.email : ui.room).focus();
    return null;
  }
  return { email: email, room: room, name: ui.name.value.trim() };
}

// ------------------------------------------------------------------ users panel (phone)

function closeUsersPanel(returnFocus) {
  if (ui.usersPanel.classList.contains('open')) {
    ui.usersPanel.classList.remove('open');
    ui.usersToggle.setAttribute('aria-expanded', 'false');
    if (returnFocus) {
      ui.usersToggle.focus();
    }
  }
}

// ------------------------------------------------------------------ wiring

function wire() {
  ui.joinForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ui.joinError.textContent = '';
    const identity = validate();
    if (identity && tokens.enabled) {
      // A fresh token for each join (the endpoint's; a #token= link's is kept).
      tokens.fetch().then(() => startSession(identity),
        (e) => { ui.joinError.textContent = 'Could not get your sign-in: ' + e.message; });
    } else if (identity) {
      writeJson(localStorage, STORE_KEY, identity);
      startSession(identity);
    }
  });
  ui.leave.addEventListener('click', leave);
  ui.composer.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitMessage();
    ui.input.focus();
  });
  ui.input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey &&
        !ev.isComposing) {
      ev.preventDefault();
      submitMessage();
    }
  });
  ui.input.addEventListener('input', onInput);
  ui.usersToggle.addEventListener('click', () => {
    const open = ui.usersPanel.classList.toggle('open');
    ui.usersToggle.setAttribute('aria-expanded', String(open));
    maybeMoreUsers();
  });
  ui.usersPanel.addEventListener('scroll', maybeMoreUsers, { passive: true });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      closeUsersPanel(true);
    }
  });
  document.addEventListener('click', (ev) => {
    if (!ui.usersPanel.contains(ev.target) && !ui.usersToggle.contains(ev.target)) {
      closeUsersPanel(false);
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      state.unread = 0;
      updateTitle();
    }
  });
  window.addEventListener('online', () => {
    if (state.conn && state.conn.waiting) {
      state.conn.retryNow();  // the network is back: no need to wait out the backoff
    }
  });
}

// Token mode: the form says who the token says we are, instead of asking for an email.
function showTokenIdentity() {
  const claims = tokens.claims;
  const who = claims.name || (claims.email || '').split('@')[0] || claims.sub || 'you';
  $('join-who').textContent = 'Signed in as ' + who + (claims.bot ? ' (bot)' : '') + '.';
  $('join-who').hidden = false;
  $('join-email-field').hidden = true;
  $('join-name-field').hidden = true;
}

async function init() {
  if (!('WebSocket' in window)) {
    $('no-websocket').hidden = false;
    return;
  }
  if (await tokens.init()) {
    showTokenIdentity();
  }
  wire();
  const saved = readJson(localStorage, STORE_KEY) || {};
  const params = new URLSearchParams(location.search);
  ui.email.value = params.get('email') || saved.email || '';
  ui.room.value = params.get('room') || saved.room || 'lobby';
  ui.name.value = saved.name || '';
  if (tokens.enabled && readJson(sessionStorage, ACTIVE_KEY)) {
    startSession({ room: ui.room.value, token: () => tokens.token });
  } else if (readJson(sessionStorage, ACTIVE_KEY) && saved.email) {
    startSession({ email: saved.email, room: ui.room.value, name: saved.name || '' });
  } else {
    showJoin('');
  }
}

init();
