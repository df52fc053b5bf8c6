// The chat page: the join form, then the room: messages, who is online, typing, and the
// composer, fed by a Connection to wsbridge. A module: nothing leaks into the global scope.
// User text only ever reaches the DOM through textContent; HTML comes from fixed strings.
import { avatar } from './avatar.js';
import { el } from './dom.js';
import { Connection } from './connection.js';
import { MessageList } from './message_list.js';

const STORE_KEY = 'chat.join';      // localStorage: the last email, room and name
const ACTIVE_KEY = 'chat.active';   // sessionStorage: this tab is in a room (a reload rejoins)
const ROOM_RE = /^[A-Za-z0-9._-]{1,64}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;  // roomd checks more; this catches typos early
const TYPING_IDLE_MS = 3000;        // we stop "typing" after this long without a keystroke,
const TYPING_REFRESH_MS = 2500;     // and say it again this often, as notices expire in roomd;
const TYPING_EXPIRE_MS = 7000;      // others' typing is forgotten if not refreshed in time
const RETURNING_MS = 30000;         // after a reconnect, others reconnecting are not "joined"

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

const state = {
  identity: null,      // {email, room, name}
  conn: null,          // the Connection of the current session
  self: null,          // our User, from Welcome
  users: new Map(),    // id -> User online
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
  const list = Array.from(state.users.values()).sort((a, b) =>
    (b.id === selfId) - (a.id === selfId) || displayName(a).localeCompare(displayName(b)));
  ui.users.replaceChildren(...list.map((user) => {
    const li = el('li', 'user');
    li.append(avatar(user), el('span', 'user-name', displayName(user)));
    if (user.id === selfId) {
      li.append(el('span', 'user-you', '(you)'));
    }
    li.append(el('span', 'user-status'));
    return li;
  }));
  ui.usersCount.textContent = String(list.length);
  ui.usersToggleCount.textContent = String(list.length);
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
    state.self = w.self;
    state.users = new Map(w.online.filter((u) => u && u.id).map((u) => [u.id, u]));
    if (w.self.id) {
      state.users.set(w.self.id, w.self);
    }
    renderUsers();
    ui.me.replaceChildren(avatar(w.self), el('span', 'me-name', displayName(w.self)));
    ui.usersPanel.classList.remove('stale');
    state.returningUntil = Date.now() + RETURNING_MS;
    messages.update(() => {
      if (w.gap === 'restarted') {
        messages.addNotice('The chat server restarted without its history: the messages above are only in this window.', 'warn');
      } else if (w.gap === 'missed') {
        messages.addNotice('Some messages from while you were away are not shown.', 'warn');
      }
      w.history.forEach(showMessage);
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
    resendPending(w.reconnect && w.gap !== '');
  },

  message(m) {
    messages.update(() => showMessage(m));
  },

  presence(p) {
    if (p.joined && p.joined.id) {
      const known = state.users.has(p.joined.id);
      const returning = state.returning.delete(p.joined.id) && Date.now() < state.returningUntil;
      state.users.set(p.joined.id, p.joined);
      if (!known && !returning) {
        notice(displayName(p.joined) + ' joined.');
      }
    }
    if (p.left && p.left.id) {
      if (state.users.delete(p.left.id)) {
        notice(displayName(p.left) + ' left.');
      }
      forgetTyper(p.left.id);
    }
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
    state.returning = new Set(state.users.keys());
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
function showMessage(m) {
  const from = m.from || {};
  const own = !!state.self && !!from.id && from.id === state.self.id;
  const p = own && m.clientId ? state.pending.get(m.clientId) : null;
  if (p) {
    state.pending.delete(p.clientId);
    messages.remove(p.li);
  }
  const sentAt = new Date(m.sentAt || Date.now());
  messages.addMessage({ user: from, text: m.text || '', own: own, seq: m.seq,
    date: isNaN(sentAt.getTime()) ? new Date() : sentAt });
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

// After a (re)join the history has confirmed what roomd got. Unsent messages go now; ones
// sent on the lost connection go again only if that history was complete (so roomd surely
// never got them); otherwise the writer decides, to never post anything twice.
function resendPending(historyIncomplete) {
  for (const p of state.pending.values()) {
    if (p.failed) {
      continue;
    }
    if (p.sent && historyIncomplete) {
      failPending(p, 'The connection dropped; this message may not have been sent.');
    } else {
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
  state.users.clear();
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

function endSession() {
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
  ([ui.email, ui.room].find((input) => !input.value) || ui.email).focus();
}

function validate() {
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
    if (identity) {
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
  });
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

function init() {
  if (!('WebSocket' in window)) {
    $('no-websocket').hidden = false;
    return;
  }
  wire();
  const saved = readJson(localStorage, STORE_KEY) || {};
  const params = new URLSearchParams(location.search);
  ui.email.value = params.get('email') || saved.email || '';
  ui.room.value = params.get('room') || saved.room || 'lobby';
  ui.name.value = saved.name || '';
  if (readJson(sessionStorage, ACTIVE_KEY) && saved.email) {
    startSession({ email: saved.email, room: ui.room.value, name: saved.name || '' });
  } else {
    showJoin('');
  }
}

init();
