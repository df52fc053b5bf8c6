// MessageList: the scrolling list of messages and notices. Confirmed messages stay in seq
// order above the reader's own unconfirmed ones, which stay last. It sticks to the bottom
// only when the reader is already there; otherwise it offers a "new messages" jump.
// Everything a user wrote enters the DOM through textContent.
import { avatar } from './avatar.js';
import { el } from './dom.js';

const GROUP_MS = 5 * 60 * 1000;  // a user's messages this close together share one header
const STICK_PX = 48;             // "at the bottom", give or take

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayTimeFormat = new Intl.DateTimeFormat(undefined,
  { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

function timeElement(date) {
  const today = new Date().toDateString() === date.toDateString();
  const t = el('time', 'msg-time', (today ? timeFormat : dayTimeFormat).format(date));
  t.dateTime = date.toISOString();
  t.title = fullFormat.format(date);
  return t;
}

export class MessageList {
  constructor(list, jump) {
    this.list = list;
    this.jump = jump;
    this.stuck = true;  // the reader is at the bottom, as of the last scroll
    list.addEventListener('scroll', () => {
      this.stuck = this.atBottom();
      if (this.stuck) {
        jump.hidden = true;
      }
    });
    jump.addEventListener('click', () => this.scrollToBottom());
    // A banner appearing, a phone keyboard or a rotation shrinks the list: stay at the bottom.
    new ResizeObserver(() => {
      if (this.stuck) {
        this.scrollToBottom();
      }
    }).observe(list);
  }

  clear() {
    this.list.replaceChildren();
    this.jump.hidden = true;
  }

  atBottom() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < STICK_PX;
  }

  scrollToBottom() {
    this.list.scrollTop = this.list.scrollHeight;
    this.stuck = true;
    this.jump.hidden = true;
  }

  // Runs `change`, then scrolls to the bottom if the reader was there (or `force`);
  // if not, offers the jump unless `quiet` (nothing new to read).
  update(change, { force = false, quiet = false } = {}) {
    const stick = force || this.atBottom();
    this.list.setAttribute('aria-busy', 'true');  // one announcement for a burst
    change();
    this.list.setAttribute('aria-busy', 'false');
    if (stick) {
      this.scrollToBottom();
    } else if (!quiet) {
      this.jump.hidden = false;
    }
  }

  // A confirmed message: {user, text, date, own, seq}.
  addMessage(message) {
    const li = this.#render(message);
    li.dataset.seq = String(message.seq);
    this.#insertConfirmed(li);
    return li;
  }

  // The seq (a BigInt) of the oldest confirmed message shown, or null.
  oldestSeq() {
    const li = this.list.querySelector('li[data-seq]');
    return li ? BigInt(li.dataset.seq) : null;
  }

  // Older confirmed messages, oldest first, above everything shown (scrollback).
  prepend(messages) {
    const first = this.list.firstElementChild;
    for (const message of messages) {
      const li = this.#render(message);
      li.dataset.seq = String(message.seq);
      this.list.insertBefore(li, first);
      this.#regroup(li);
    }
    this.#regroup(first);
  }

  // The "beginning of #room" marker, at the very top (once).
  addBeginning(text) {
    if (!this.list.querySelector('.notice.beginning')) {
      this.list.insertBefore(el('li', 'notice beginning', text), this.list.firstElementChild);
    }
  }

  addNotice(text, kind) {
    const li = el('li', 'notice' + (kind ? ' ' + kind : ''), text);
    this.#insertConfirmed(li);
    return li;
  }

  // One of the reader's own messages, not yet echoed by the server: goes last.
  addPending(message) {
    const li = this.#render({ ...message, own: true });
    li.classList.add('pending');
    this.list.appendChild(li);
    this.#regroup(li);
    return li;
  }

  setPending(li, text) {
    li.classList.add('pending');
    li.classList.remove('failed');
    this.#stateLine(li).replaceChildren(document.createTextNode(text));
    this.#regroupAround(li);
  }

  // Marks an unconfirmed message failed, with Retry and Discard buttons.
  setFailed(li, text, onRetry, onDiscard) {
    li.classList.remove('pending');
    li.classList.add('failed');
    const line = this.#stateLine(li);
    line.replaceChildren(document.createTextNode(text));
    for (const [label, run] of [['Retry', onRetry], ['Discard', onDiscard]]) {
      const button = el('button', 'link', label);
      button.type = 'button';
      button.addEventListener('click', run);
      line.appendChild(button);
    }
    this.#regroupAround(li);
  }

  remove(li) {
    const next = li.nextElementSibling;
    li.remove();
    this.#regroup(next);
  }

  moveToEnd(li) {
    this.remove(li);
    this.list.appendChild(li);
    this.#regroup(li);
  }

  #render({ user, text, date, own }) {
    const li = el('li', 'msg' + (own ? ' own' : ''));
    li.dataset.user = user.id || '';
    li.dataset.time = String(date.getTime());
    li.appendChild(avatar(user));
    const head = el('div', 'msg-head');
    head.appendChild(el('span', 'msg-name', user.name || 'someone'));
    if (user.bot) {
      head.appendChild(el('span', 'bot-badge', 'bot'));
    }
    if (own) {
      head.appendChild(el('span', 'msg-you', 'you'));
    }
    head.appendChild(timeElement(date));
    li.appendChild(head);
    li.appendChild(el('div', 'msg-text', text));
    return li;
  }

  #stateLine(li) {
    let line = li.querySelector('.msg-state');
    if (!line) {
      line = el('div', 'msg-state');
      li.appendChild(line);
    }
    return line;
  }

  #insertConfirmed(li) {
    this.list.insertBefore(li, this.list.querySelector('.msg.pending, .msg.failed'));
    this.#regroupAround(li);
  }

  #regroupAround(li) {
    this.#regroup(li);
    this.#regroup(li.nextElementSibling);
  }

  // A message continues the one above it (no avatar or header) when the same user wrote
  // both within a few minutes and neither failed.
  #regroup(li) {
    if (!li || !li.classList.contains('msg')) {
      return;
    }
    const prev = li.previousElementSibling;
    const cont = !!prev && prev.classList.contains('msg') &&
      prev.dataset.user === li.dataset.user &&
      Number(li.dataset.time) - Number(prev.dataset.time) < GROUP_MS &&
      !prev.classList.contains('failed') && !li.classList.contains('failed');
    li.classList.toggle('cont', cont);
  }
}
