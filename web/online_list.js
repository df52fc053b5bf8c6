// OnlineList: who is online, as the page shows it. In a small room Welcome lists everyone
// and each Presence says one change. In a big room Welcome holds the exact count and the
// first page by name; further pages come as the reader scrolls (a presence_page request),
// and a Presence per tick lists whose presence changed. A change is kept only within the
// pages loaded so far (the next page brings the rest), so the list never has holes; a tick
// with `truncated` (too many changes to list) makes the list fetch its first page again.
// The count is always the server's.

const PAGE_SIZE = 100;
// After a truncated tick, fetch the list once the storm has passed (no truncated tick for
// 1-3 s, jittered so that a big room does not ask all at once), or 10 s into a long one.
const REFETCH_QUIET_MS = 1000;
const REFETCH_JITTER_MS = 2000;
const REFETCH_LONGEST_MS = 10000;

// The server's order: name, then id (byte order; code units agree for ASCII names).
function before(a, b) {
  const an = a.name || '';
  const bn = b.name || '';
  return an !== bn ? an < bn : (a.id || '') < (b.id || '');
}

export class OnlineList {
  users = new Map();  // id -> User
  count = 0;
  #last = null;       // the last user of the pages loaded; null: none loaded, or all loaded
  #nextToken = '';    // '' : every page is loaded
  #asked = null;      // the token of the page request in flight (null: none)
  #refetchTimer = 0;
  #staleSince = 0;    // when the first truncated tick not yet followed by a refetch came
  #refetchWanted = false;  // the refetch waits for the page in flight
  #request;           // (pageToken, pageSize) => bool: sends presence_page

  constructor(request) {
    this.#request = request;
  }

  get complete() {
    return this.#nextToken === '';
  }

  welcome(online, count, nextToken) {
    clearTimeout(this.#refetchTimer);
    this.#refetchTimer = 0;
    this.#staleSince = 0;
    this.#refetchWanted = false;
    this.#asked = null;
    this.users = new Map();
    this.#loaded(online, nextToken);
    this.count = count || this.users.size;
  }

  // Applies a Presence; returns the users whose single join or leave deserves a notice.
  presence(p) {
    const news = { joined: null, left: null };
    if (p.joined && p.joined.id) {
      news.joined = this.users.has(p.joined.id) ? null : p.joined;
      this.#online(p.joined);
    }
    if (p.left && p.left.id) {
      news.left = this.users.delete(p.left.id) ? p.left : null;
    }
    for (const user of p.joinedUsers || []) {
      this.#online(user);
    }
    for (const user of p.leftUsers || []) {
      this.users.delete(user.id);
    }
    if (p.onlineCount !== undefined || p.joined || p.left || p.truncated) {
      this.count = p.onlineCount || 0;
    }
    if (p.truncated) {
      this.#refetchSoon();
    }
    return news;
  }

  // A ServerEvent.presence_page, the answer to our request.
  page(resp) {
    const token = this.#asked;
    this.#asked = null;
    if (token === null) {
      return;
    }
    if (token === '') {
      this.users = new Map();  // the first page again: start over from it
    }
    this.#loaded(resp.online || [], resp.nextPageToken || '');
    this.count = resp.onlineCount || 0;
    if (this.#refetchWanted) {
      this.#refetchWanted = false;
      this.#ask('');
    }
  }

  // The reader scrolled near the end of the list: fetch the next page, if there is one.
  more() {
    if (!this.complete) {
      this.#ask(this.#nextToken);
    }
  }

  #refetchSoon() {
    const now = Date.now();
    this.#staleSince = this.#staleSince || now;
    if (this.#refetchTimer && now - this.#staleSince >= REFETCH_LONGEST_MS) {
      return;  // a long storm: the timer set earlier fires anyway
    }
    clearTimeout(this.#refetchTimer);
    this.#refetchTimer = setTimeout(() => {
      this.#refetchTimer = 0;
      this.#staleSince = 0;
      this.#refetchWanted = this.#asked !== null;
      this.#ask('');
    }, REFETCH_QUIET_MS + Math.random() * REFETCH_JITTER_MS);
  }

  #ask(token) {
    if (this.#asked === null && this.#request(token, PAGE_SIZE)) {
      this.#asked = token;
    }
  }

  #loaded(users, nextToken) {
    for (const user of users) {
      if (user && user.id) {
        this.users.set(user.id, user);
      }
    }
    this.#nextToken = nextToken || '';
    if (users.length > 0) {
      this.#last = users[users.length - 1];
    }
  }

  #online(user) {
    if (!user || !user.id) {
      return;
    }
    if (this.complete || this.users.has(user.id) || !this.#last || before(user, this.#last)) {
      this.users.set(user.id, user);
    }
  }
}
