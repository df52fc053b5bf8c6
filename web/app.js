// The chat page: a join form, then one WebSocket to wsbridge's /chat speaking the proto3
// JSON mapping of chat.v1 ClientEvent/ServerEvent (see docs/protocol.md).
// User text only ever reaches the DOM through textContent; HTML comes from fixed strings.
(function () {
  'use strict';

  const STORE_KEY = 'chat.join';          // localStorage: the last email, room and name
  const ACTIVE_KEY = 'chat.active';       // sessionStorage: this tab was in a room (reload rejoins)
  const ROOM_RE = /^[A-Za-z0-9._-]{1,64}$/;
  const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;   // the server checks more; this catches typos early
  const TYPING_IDLE_MS = 3000;            // we stop "typing" after this long without a keystroke
  const TYPING_REFRESH_MS = 2500;         // and re-announce while typing: notices expire
  const TYPING_EXPIRE_MS = 6000;          // forget someone's typing that was not refreshed
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_CAP_MS = 30000;
  const GROUP_MS = 5 * 60 * 1000;         // consecutive messages of one user within this share a header
  const STICK_PX = 48;                    // "at the bottom" tolerance

  // gRPC status codes, indexed by number (close code = 4000 + code).
  const GRPC_CODES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED',
    'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED',
    'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL',
    'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];
  // Codes that would fail again for the same email and room: do not retry, say why.
  const PERMANENT_GRPC = new Set([3, 5, 6, 7, 9, 12, 16]);

  const $ = (id) => document.getElementById(id);
  const ui = {
    joinView: $('join-view'), joinForm: $('join-form'), joinError: $('join-error'),
    email: $('join-email'), emailError: $('join-email-error'),
    room: $('join-room'), roomError: $('join-room-error'), name: $('join-name'),
    chatView: $('chat-view'), roomName: $('room-name'), connDot: $('conn-dot'), me: $('me'),
    leave: $('leave-button'), usersToggle: $('users-toggle'), usersToggleCount: $('users-toggle-count'),
    status: $('status'), statusText: $('status-text'), statusAction: $('status-action'),
    messages: $('messages'), jump: $('jump'), typing: $('typing'),
    composer: $('composer'), input: $('composer-input'), send: $('send-button'),
    usersPanel: $('users-panel'), users: $('users'), usersCount: $('users-count'),
  };

  const state = {
    identity: null,       // {email, room, name} of the current session
    self: null,           // our User, from Welcome
    ws: null,             // the live socket; handlers of older sockets ignore themselves
    welcomed: false,      // the live socket got its Welcome
    everWelcomed: false,  // this session was in the room at least once
    lost: false,          // the connection dropped after a Welcome; the next one "reconnected"
    resync: false,        // rejoin from scratch: the room's seqs started over
    lastSeq: 0n,          // highest seq shown; resume point and de-duplication
    attempt: 0,
    retryAt: 0,
    retryTimer: 0,
    countdownTimer: 0,
    statusTimer: 0,
    users: new Map(),     // id -> User
    typers: new Map(),    // id -> {user, timer}
    pending: new Map(),   // clientId -> {clientId, text, el, sentOn, failed}
    typingSent: false,
    typingAt: 0,
    typingIdleTimer: 0,
    unread: 0,
    joinError: '',        // an Error before Welcome, said again when the server closes
  };
  const avatarFailed = new Set();  // Gravatar URLs that did not load: use initials at once
  const clientPrefix = 'c-' + randomId() + '-';
  let clientCounter = 0;

  // ------------------------------------------------------------------ helpers

  function randomId() {
    const bytes = new Uint8Array(6);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function toSeq(v) {
    try {
      return BigInt(v || 0);
    } catch (e) {
      return 0n;
    }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function displayName(user) {
    return (user && user.name) || 'someone';
  }

  function readJson(storage, key) {
    try {
      return JSON.parse(storage.getItem(key) || 'null');
    } catch (e) {
      return null;  // storage disabled or garbage: start blank
    }
  }

  function writeStorage(storage, key, value) {
    try {
      if (value === null) {
        storage.removeItem(key);
      } else {
        storage.setItem(key, JSON.stringify(value));
      }
    } catch (e) {
      // Private mode or quota: remembering is a convenience only.
    }
  }

  // ------------------------------------------------------------------ avatars

  function hashString(s) {
    let h = 0x811c9dc5;  // FNV-1a
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }

  function initials(name) {
    const words = String(name || '').match(/[\p{L}\p{N}]+/gu) || [];
    const letters = words.slice(0, 2).map((w) => Array.from(w)[0]);
    return letters.join('').toUpperCase() || '?';
  }

  // Initials on a colour derived from the user id, with the Gravatar laid over it once
  // (and only if) it loads: offline there is never a broken-image icon.
  function avatar(user) {
    const box = el('span', 'avatar', initials(displayName(user)));
    box.setAttribute('aria-hidden', 'true');
    box.style.backgroundColor = 'hsl(' + (hashString(user.id || displayName(user)) % 360) + ', 52%, 44%)';
    const url = user.avatarUrl;
    if (url && /^https?:\/\//i.test(url) && !avatarFailed.has(url)) {
      const img = document.createElement('img');
      img.alt = '';
      img.decoding = 'async';
      img.referrerPolicy = 'no-referrer';
      img.addEventListener('load', () => img.classList.add('loaded'));
      img.addEventListener('error', () => {
        avatarFailed.add(url);
        img.remove();
      });
      img.src = url;
      box.appendChild(img);
    }
    return box;
  }

  // ------------------------------------------------------------------ time

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
  const dayTimeFormat = new Intl.DateTimeFormat(undefined,
    { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

  function timeElement(date) {
    const t = el('time', 'msg-time');
    const today = new Date().toDateString() === date.toDateString();
    t.textContent = (today ? timeFormat : dayTimeFormat).format(date);
    t.dateTime = date.toISOString();
    t.title = fullFormat.format(date);
    return t;
  }

  function parseTime(value) {
    const d = value ? new Date(value) : new Date();
    return isNaN(d.getTime()) ? new Date() : d;
  }

  // ------------------------------------------------------------------ message list

  function atBottom() {
    const m = ui.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < STICK_PX;
  }

  function scrollToBottom() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
    ui.jump.hidden = true;
  }

  // Runs a change to the list, keeping the reader at the bottom only if they were there;
  // otherwise offers a jump, unless the change says (returns false) it added nothing new.
  function withScroll(change, force) {
    const stick = force || atBottom();
    const added = change() !== false;
    if (stick) {
      scrollToBottom();
    } else if (added) {
      ui.jump.hidden = false;
    }
  }

  function firstPending() {
    return ui.messages.querySelector('.msg.pending, .msg.failed');
  }

  // Confirmed messages and notices go above our own unconfirmed ones, which stay last.
  function insertConfirmed(node) {
    ui.messages.insertBefore(node, firstPending());
    regroup(node);
    regroup(node.nextElementSibling);
  }

  function regroup(node) {
    if (!node || !node.classList.contains('msg')) {
      return;
    }
    const prev = node.previousElementSibling;
    const cont = !!prev && prev.classList.contains('msg') &&
      prev.dataset.user === node.dataset.user &&
      Number(node.dataset.time) - Number(prev.dataset.time) < GROUP_MS &&
      !prev.classList.contains('failed') && !node.classList.contains('failed');
    node.classList.toggle('cont', cont);
  }

  function removeMessage(node) {
    const next = node.nextElementSibling;
    node.remove();
    regroup(next);
  }

  function renderMessage(user, text, date, own) {
    const li = el('li', 'msg' + (own ? ' own' : ''));
    li.dataset.user = user.id || '';
    li.dataset.time = String(date.getTime());
    li.appendChild(avatar(user));
    const head = el('div', 'msg-head');
    head.appendChild(el('span', 'msg-name', displayName(user)));
    if (own) {
      head.appendChild(el('span', 'msg-you', 'you'));
    }
    head.appendChild(timeElement(date));
    li.appendChild(head);
    li.appendChild(el('div', 'msg-text', text));
    return li;
  }

  function notice(text, kind) {
    const li = el('li', 'notice' + (kind ? ' ' + kind : ''), text);
    withScroll(() => insertConfirmed(li));
  }

  function countUnread() {
    if (document.hidden) {
      state.unread++;
      updateTitle();
    }
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
    ui.statusAction.onclick = null;
    if (action) {
      ui.statusAction.textContent = action.label;
      ui.statusAction.onclick = action.run;
    }
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

  // ------------------------------------------------------------------ users and typing

  function renderUsers() {
    const self = state.self && state.self.id;
    const list = Array.from(state.users.values()).sort((a, b) => {
      if ((a.id === self) !== (b.id === self)) {
        return a.id === self ? -1 : 1;
      }
      return displayName(a).localeCompare(displayName(b));
    });
    const items = list.map((user) => {
      const li = el('li', 'user');
      li.dataset.userId = user.id || '';
      li.appendChild(avatar(user));
      li.appendChild(el('span', 'user-name', displayName(user)));
      if (user.id === self) {
        li.appendChild(el('span', 'user-you', '(you)'));
      }
      li.appendChild(el('span', 'user-status'));
      return li;
    });
    ui.users.replaceChildren(...items);
    ui.usersCount.textContent = String(list.length);
    ui.usersToggleCount.textContent = String(list.length);
  }

  function renderTyping() {
    const names = Array.from(state.typers.values(), (t) => displayName(t.user));
    let text = '';
    if (names.length === 1) {
      text = names[0] + ' is typing…';
    } else if (names.length === 2) {
      text = names[0] + ' and ' + names[1] + ' are typing…';
    } else if (names.length > 2) {
      text = 'Several people are typing…';
    }
    ui.typing.textContent = text;
  }

  function forgetTyper(id) {
    const t = state.typers.get(id);
    if (t) {
      clearTimeout(t.timer);
      state.typers.delete(id);
    }
  }

  function clearTypers() {
    for (const id of Array.from(state.typers.keys())) {
      forgetTyper(id);
    }
    renderTyping();
  }

  // ------------------------------------------------------------------ the socket

  function sendFrame(event) {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return false;
    }
    ws.send(JSON.stringify(event));
    return true;
  }

  function connect() {
    clearTimeout(state.retryTimer);
    state.retryTimer = 0;
    if (state.ws) {
      const old = state.ws;  // "Retry now" while one is still connecting
      state.ws = null;
      old.close();
    }
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(scheme + '//' + location.host + '/chat');
    } catch (e) {
      scheduleReconnect(String(e && e.message || e));
      return;
    }
    state.ws = ws;
    state.welcomed = false;
    if (!state.everWelcomed) {
      setStatus('Connecting…', '');
    }
    ws.onopen = () => {
      if (ws === state.ws) {
        sendJoin();
      }
    };
    ws.onmessage = (ev) => {
      if (ws === state.ws && typeof ev.data === 'string') {
        onFrame(ev.data);
      }
    };
    ws.onclose = (ev) => {
      if (ws === state.ws) {
        onClose(ev);
      }
    };
  }

  function sendJoin() {
    const id = state.identity;
    const join = { room: id.room, email: id.email };
    if (id.name) {
      join.name = id.name;
    }
    if (state.lastSeq > 0n) {
      join.afterSeq = state.lastSeq.toString();
    }
    sendFrame({ join: join });
  }

  function onFrame(data) {
    let event;
    try {
      event = JSON.parse(data);
    } catch (e) {
      return;  // not ours to repair; the bridge only sends JSON
    }
    handleEvent(event);
  }

  function handleEvent(event) {
    if (!event || typeof event !== 'object') {
      return;
    }
    if (event.batch) {
      (event.batch.events || []).forEach(handleEvent);
    } else if (event.welcome) {
      onWelcome(event.welcome);
    } else if (event.message) {
      withScroll(() => onMessage(event.message));
    } else if (event.presence) {
      onPresence(event.presence);
    } else if (event.typing) {
      onTyping(event.typing);
    } else if (event.error) {
      onError(event.error);
    }
  }

  function onWelcome(w) {
    const history = w.history || [];
    const serverLast = toSeq(w.lastSeq);
    const prevLast = state.lastSeq;
    const reconnect = state.everWelcomed;

    if (serverLast < prevLast) {
      // The room's seqs started over (roomd restarted without its history): what we show
      // stays, and we rejoin from seq 0 if the new history already has messages we lack.
      state.lastSeq = 0n;
      if (serverLast > 0n && history.length === 0) {
        state.resync = true;
        state.ws.close(1000, 'resync');
        state.ws = null;
        connect();
        return;
      }
    }
    const continuous = !state.resync && serverLast >= prevLast && (history.length > 0
      ? toSeq(history[0].seq) <= prevLast + 1n
      : serverLast === prevLast);

    state.self = w.self || {};
    state.welcomed = true;
    state.everWelcomed = true;
    state.attempt = 0;
    state.users = new Map((w.online || []).filter((u) => u && u.id).map((u) => [u.id, u]));
    if (state.self.id) {
      state.users.set(state.self.id, state.self);
    }
    renderUsers();
    renderMe();

    ui.messages.setAttribute('aria-busy', 'true');
    withScroll(() => {
      if (reconnect && !continuous && prevLast > 0n) {
        insertConfirmed(el('li', 'notice warn', state.lastSeq === 0n
          ? 'The chat server restarted; earlier messages are only in this window.'
          : 'Some messages from while you were away are not shown.'));
      }
      history.forEach(onMessage);
    }, !reconnect);
    ui.messages.setAttribute('aria-busy', 'false');
    if (serverLast > state.lastSeq) {
      state.lastSeq = serverLast;
    }

    if (reconnect && (state.lost || state.resync)) {
      notice('Reconnected.', 'ok');
      setStatus('Reconnected.', 'ok');
      state.statusTimer = setTimeout(clearStatus, 4000);
    } else if (!reconnect) {
      clearStatus();
      notice('You joined #' + (w.room || state.identity.room) + '.');
    } else {
      clearStatus();
    }
    state.lost = false;
    state.resync = false;
    ui.usersPanel.classList.remove('stale');
    setConnection('online', 'Connected');
    ui.input.disabled = false;
    ui.send.disabled = false;
    if (!reconnect) {
      ui.input.focus();
    }
    resendPending(continuous || !reconnect);
  }

  // After a (re)join: messages never sent go now; ones sent on a lost connection go again
  // only if the history proves roomd never got them, otherwise the writer decides.
  function resendPending(historyComplete) {
    for (const p of state.pending.values()) {
      if (p.failed) {
        continue;
      }
      if (p.sentOn && p.sentOn !== state.ws && !historyComplete) {
        markFailed(p, 'The connection dropped; this message may not have been sent.');
      } else if (p.sentOn !== state.ws) {
        transmit(p);
      }
    }
  }

  function onMessage(m) {
    const seq = toSeq(m.seq);
    if (seq <= state.lastSeq) {
      return false;  // already shown: resume overlap
    }
    state.lastSeq = seq;
    const from = m.from || {};
    const own = !!state.self && !!from.id && from.id === state.self.id;
    const p = own && m.clientId ? state.pending.get(m.clientId) : null;
    if (p) {
      state.pending.delete(m.clientId);
      removeMessage(p.el);
    }
    const li = renderMessage(from, m.text || '', parseTime(m.sentAt), own);
    li.dataset.seq = seq.toString();
    insertConfirmed(li);
    forgetTyper(from.id);
    renderTyping();
    if (!own) {
      countUnread();
    }
    return true;
  }

  function onPresence(p) {
    if (p.joined && p.joined.id) {
      const known = state.users.has(p.joined.id);
      state.users.set(p.joined.id, p.joined);
      if (!known) {
        notice(displayName(p.joined) + ' joined.');
      }
    }
    if (p.left && p.left.id) {
      if (state.users.delete(p.left.id)) {
        notice(displayName(p.left) + ' left.');
      }
      forgetTyper(p.left.id);
      renderTyping();
    }
    renderUsers();
  }

  function onTyping(t) {
    const user = t.user;
    if (!user || !user.id || (state.self && user.id === state.self.id)) {
      return;
    }
    forgetTyper(user.id);
    if (t.active) {
      const timer = setTimeout(() => {
        forgetTyper(user.id);
        renderTyping();
      }, TYPING_EXPIRE_MS);
      state.typers.set(user.id, { user: user, timer: timer });
    }
    renderTyping();
  }

  function onError(e) {
    const text = e.message || e.code || 'Unknown error';
    const p = e.clientId ? state.pending.get(e.clientId) : null;
    if (p) {
      markFailed(p, text);
    } else if (state.welcomed) {
      notice(text, 'error');
    } else {
      state.joinError = text;
    }
  }

  function closeReason(ev) {
    if (ev.reason) {
      return ev.reason;
    }
    if (state.joinError) {
      return state.joinError;
    }
    if (ev.code >= 4000 && ev.code < 4000 + GRPC_CODES.length) {
      return GRPC_CODES[ev.code - 4000].toLowerCase().replace(/_/g, ' ');
    }
    if (ev.code === 1001) {
      return 'the server is restarting';
    }
    return '';
  }

  function onClose(ev) {
    state.ws = null;
    const wasWelcomed = state.welcomed;
    state.welcomed = false;
    stopTyping(false);
    clearTypers();
    ui.usersPanel.classList.add('stale');  // who is online is unknown until the next Welcome
    for (const p of state.pending.values()) {
      if (!p.failed) {
        setPendingState(p, 'Waiting for the connection…', false);
      }
    }
    const reason = closeReason(ev);
    state.joinError = '';
    const grpc = ev.code >= 4000 && ev.code < 4100 ? ev.code - 4000 : -1;
    if (PERMANENT_GRPC.has(grpc) || ev.code === 1008) {
      giveUp(reason || 'the server refused the connection');
      return;
    }
    if (wasWelcomed) {
      state.lost = true;
      notice('Connection lost' + (reason ? ' (' + reason + ')' : '') + ', reconnecting…', 'warn');
    }
    scheduleReconnect(reason);
  }

  // A permanent refusal: before the first Welcome the join form says why; later a banner does.
  function giveUp(reason) {
    setConnection('failed', 'Disconnected');
    writeStorage(sessionStorage, ACTIVE_KEY, null);
    if (!state.everWelcomed) {
      endSession();
      showJoin('Could not join: ' + reason);
      return;
    }
    notice('Disconnected: ' + reason, 'error');
    setStatus('Disconnected: ' + reason + '.', 'error', { label: 'Back to join', run: leave });
    ui.input.disabled = true;
    ui.send.disabled = true;
  }

  function backoffDelay(attempt) {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, attempt));
    return ceiling / 2 + Math.random() * ceiling / 2;  // "equal jitter": spread, never ~0
  }

  function scheduleReconnect(reason) {
    const delay = backoffDelay(state.attempt++);
    state.retryAt = Date.now() + delay;
    state.retryTimer = setTimeout(connect, delay);
    setConnection('offline', 'Reconnecting');
    const lead = state.everWelcomed
      ? 'Connection lost' + (reason ? ' (' + reason + ')' : '') + ', reconnecting'
      : 'Cannot reach the chat server' + (reason ? ' (' + reason + ')' : '') + ', retrying';
    const action = { label: 'Retry now', run: connect };
    const tick = () => {
      const secs = Math.ceil((state.retryAt - Date.now()) / 1000);
      ui.statusText.textContent = secs > 1 ? lead + ' in ' + secs + ' s…' : lead + '…';
    };
    setStatus(lead + '…', 'warn', action);
    tick();
    state.countdownTimer = setInterval(tick, 1000);
  }

  // ------------------------------------------------------------------ sending

  function newClientId() {
    clientCounter++;
    return clientPrefix + clientCounter;
  }

  function setPendingState(p, text, failed) {
    withScroll(() => {
      updatePending(p, text, failed);
      return false;
    });
  }

  function updatePending(p, text, failed) {
    p.failed = failed;
    p.el.classList.toggle('pending', !failed);
    p.el.classList.toggle('failed', failed);
    let line = p.el.querySelector('.msg-state');
    if (!line) {
      line = el('div', 'msg-state');
      p.el.appendChild(line);
    }
    line.replaceChildren(document.createTextNode(text));
    if (failed) {
      const retry = el('button', 'link', 'Retry');
      retry.type = 'button';
      retry.addEventListener('click', () => retryPending(p));
      const discard = el('button', 'link', 'Discard');
      discard.type = 'button';
      discard.addEventListener('click', () => {
        state.pending.delete(p.clientId);
        removeMessage(p.el);
        ui.input.focus();
      });
      line.append(retry, discard);
    }
    regroup(p.el);
    regroup(p.el.nextElementSibling);
  }

  function markFailed(p, why) {
    setPendingState(p, 'Not sent: ' + why, true);
  }

  function transmit(p) {
    if (state.welcomed && sendFrame({ send: { text: p.text, clientId: p.clientId } })) {
      p.sentOn = state.ws;
      setPendingState(p, 'Sending…', false);
    } else {
      setPendingState(p, 'Waiting for the connection…', false);
    }
  }

  function retryPending(p) {
    // Move it to the end: it will get a new place in the room's order.
    withScroll(() => {
      removeMessage(p.el);
      ui.messages.appendChild(p.el);
      p.sentOn = null;
      transmit(p);
    }, true);
    ui.input.focus();
  }

  function submitMessage() {
    const text = ui.input.value.replace(/^\s*\n/, '').trimEnd();
    if (!text.trim() || !state.self) {
      return;
    }
    const p = { clientId: newClientId(), text: text, el: null, sentOn: null, failed: false };
    p.el = renderMessage(state.self, text, new Date(), true);
    p.el.dataset.clientId = p.clientId;
    state.pending.set(p.clientId, p);
    withScroll(() => {
      ui.messages.appendChild(p.el);
      transmit(p);
    }, true);
    ui.input.value = '';
    autosize();
    stopTyping(true);
  }

  // Typing: "active" on the first keystroke and again every few seconds while typing,
  // "inactive" when the box empties, a message goes, or the writer pauses.
  function onInput() {
    autosize();
    if (!ui.input.value.trim()) {
      stopTyping(true);
      return;
    }
    const now = Date.now();
    if (!state.typingSent || now - state.typingAt > TYPING_REFRESH_MS) {
      if (state.welcomed && sendFrame({ typing: { active: true } })) {
        state.typingSent = true;
        state.typingAt = now;
      }
    }
    clearTimeout(state.typingIdleTimer);
    state.typingIdleTimer = setTimeout(() => stopTyping(true), TYPING_IDLE_MS);
  }

  function stopTyping(tell) {
    clearTimeout(state.typingIdleTimer);
    if (state.typingSent && tell && state.welcomed) {
      sendFrame({ typing: { active: false } });
    }
    state.typingSent = false;
  }

  function autosize() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight, 160) + 'px';
  }

  // ------------------------------------------------------------------ screens

  function renderMe() {
    const self = state.self || {};
    ui.me.replaceChildren(avatar(self), el('span', 'me-name', displayName(self)));
  }

  function startSession(identity) {
    state.identity = identity;
    state.self = null;
    state.everWelcomed = false;
    state.lost = false;
    state.resync = false;
    state.lastSeq = 0n;
    state.attempt = 0;
    state.users.clear();
    state.pending.clear();
    state.unread = 0;
    state.joinError = '';
    clearTypers();
    ui.messages.replaceChildren();
    ui.usersPanel.classList.remove('stale');
    ui.jump.hidden = true;
    ui.me.replaceChildren();
    ui.roomName.textContent = identity.room;
    ui.input.value = '';
    ui.input.disabled = true;
    ui.send.disabled = true;
    renderUsers();
    updateTitle();
    setConnection('', 'Connecting');
    ui.joinView.hidden = true;
    ui.chatView.hidden = false;
    writeStorage(sessionStorage, ACTIVE_KEY, true);
    connect();
  }

  // Drops the socket and timers of the current session.
  function endSession() {
    clearTimeout(state.retryTimer);
    clearStatus();
    stopTyping(false);
    const ws = state.ws;
    state.ws = null;
    state.welcomed = false;
    if (ws) {
      ws.close(1000, 'leave');
    }
  }

  function leave() {
    if (state.welcomed) {
      sendFrame({ leave: {} });
    }
    writeStorage(sessionStorage, ACTIVE_KEY, null);
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
    const firstEmpty = [ui.email, ui.room].find((input) => !input.value);
    (firstEmpty || ui.email).focus();
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
    if (emailError) {
      ui.email.focus();
    } else if (roomError) {
      ui.room.focus();
    }
    return emailError || roomError ? null : { email: email, room: room, name: ui.name.value.trim() };
  }

  function onJoinSubmit(ev) {
    ev.preventDefault();
    ui.joinError.textContent = '';
    const identity = validate();
    if (identity) {
      writeStorage(localStorage, STORE_KEY, identity);
      startSession(identity);
    }
  }

  // ------------------------------------------------------------------ users panel (phone)

  function openUsersPanel() {
    ui.usersPanel.classList.add('open');
    ui.usersToggle.setAttribute('aria-expanded', 'true');
  }

  function closeUsersPanel(returnFocus) {
    if (!ui.usersPanel.classList.contains('open')) {
      return;
    }
    ui.usersPanel.classList.remove('open');
    ui.usersToggle.setAttribute('aria-expanded', 'false');
    if (returnFocus) {
      ui.usersToggle.focus();
    }
  }

  // ------------------------------------------------------------------ wiring

  function wire() {
    ui.joinForm.addEventListener('submit', onJoinSubmit);
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
    ui.messages.addEventListener('scroll', () => {
      if (atBottom()) {
        ui.jump.hidden = true;
      }
    });
    ui.jump.addEventListener('click', () => {
      scrollToBottom();
      ui.input.focus();
    });
    ui.usersToggle.addEventListener('click', () => {
      if (ui.usersPanel.classList.contains('open')) {
        closeUsersPanel(false);
      } else {
        openUsersPanel();
      }
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
      if (state.retryTimer) {
        connect();  // the network is back: do not wait out the backoff
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
    if (readJson(sessionStorage, ACTIVE_KEY) && saved.email && saved.room) {
      startSession({ email: saved.email, room: params.get('room') || saved.room, name: saved.name || '' });
    } else {
      showJoin('');
    }
  }

  init();
})();
