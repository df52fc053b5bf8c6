// Scrollback: when the reader scrolls to the top of the messages, asks for the page before
// the oldest one shown (a historyPage request), puts it above without moving what the
// reader is looking at, and marks the beginning of the room once nothing older is left.
const TOP_PX = 64;  // "at the top", give or take
const PAGE = 50;

export class Scrollback {
  // `request(beforeSeq, limit)` sends the request and says whether it went out;
  // `toEntry(m)` turns a ChatMessage into what MessageList shows.
  constructor(list, messages, request, toEntry) {
    this.list = list;
    this.messages = messages;
    this.request = request;
    this.toEntry = toEntry;
    this.room = '';
    this.loading = false;
    this.done = false;
    list.addEventListener('scroll', () => this.maybeLoad());
  }

  // A new room (a first Welcome): nothing loaded, nothing asked yet.
  reset(room) {
    this.room = room;
    this.loading = false;
    this.done = false;
  }

  // A reconnect: an answer on the lost connection will not come.
  resume() {
    this.loading = false;
  }

  // Asks for the page above when the reader is at the top, or when the list does not fill
  // its box (no scrolling would ever get there).
  maybeLoad() {
    if (this.loading || this.done || !this.room) {
      return;
    }
    const oldest = this.messages.oldestSeq();
    if (oldest === null) {
      return;  // an empty room: nothing to scroll back to (yet)
    }
    if (oldest <= 1n) {
      this.#markBeginning();
      return;
    }
    const l = this.list;
    if (l.scrollTop > TOP_PX && l.scrollHeight > l.clientHeight) {
      return;
    }
    this.loading = this.request(oldest.toString(), PAGE);
  }

  // The answer: older messages go above; an empty page is the beginning.
  onPage(page) {
    this.loading = false;
    const oldest = this.messages.oldestSeq();
    const older = (page.messages || []).filter((m) => oldest === null || BigInt(m.seq) < oldest);
    if (older.length === 0) {
      this.#markBeginning();
      return;
    }
    // The message that was oldest stays where the reader sees it. Anchored on the element,
    // not on the list's height: prepending can also change that message's own height (its
    // header folds into a run of the same sender's messages).
    const l = this.list;
    const anchor = l.querySelector('li[data-seq]');
    const before = anchor ? anchor.getBoundingClientRect().top : 0;
    this.messages.prepend(older.map(this.toEntry));
    if (anchor) {
      l.scrollTop += anchor.getBoundingClientRect().top - before;
    }
    this.maybeLoad();
  }

  #markBeginning() {
    this.done = true;
    this.messages.addBeginning('This is the beginning of #' + this.room + '.');
  }
}
