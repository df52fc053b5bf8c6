// Connection: one chat session's WebSocket to wsbridge's /chat, kept up across drops.
// Frames are the proto3 JSON mapping of chat.v1 ClientEvent / ServerEvent (docs/protocol.md).
// It joins, resumes after the last seq seen (Join.afterSeq, with the Welcome.epoch those
// seqs belong to), drops events already seen,
// waits with capped, jittered exponential backoff between attempts, and tells final
// refusals (close 4000 + a gRPC code that would fail again) from passing trouble.
// Lifetime: from start() until close() or a refusal; after either it reports nothing more.
//
// Handlers (`on`): welcome({self, room, online, history, reconnect, gap}) where gap is ''
// (history complete), 'reset' (roomd says the seqs kept are from an earlier numbering:
// drop every message shown, history is what the room holds now), 'restarted' (the room's
// seqs started over, found without an epoch) or 'missed' (history did not reach back far
// enough), onlineCount, nextPageToken (big rooms: more pages to fetch); message(m);
// echo(m) (a message with a clientId and a seq already passed: the original of a resend);
// presence(p); presencePage(page); typing(t); error(e); lost(reason);
// retrying(reason, delayMs); refused(reason).

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30000;

// gRPC status codes by number: a close code is 4000 + one of these.
const GRPC_CODES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED',
  'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL',
  'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];
// Codes that would fail again for the same email, room and name. Everything else
// (UNAVAILABLE, RESOURCE_EXHAUSTED "slow consumer", 1001 going away, 1006 dropped) is retried.
const PERMANENT_GRPC = new Set([3, 5, 6, 7, 9, 12, 16]);
const CLOSE_POLICY_VIOLATION = 1008;  // e.g. an Origin the bridge does not allow

function toSeq(value) {
  try {
    return BigInt(value || 0);
  } catch (e) {
    return 0n;
  }
}

export function backoffDelay(attempt) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, attempt));
  return ceiling / 2 + Math.random() * ceiling / 2;  // "equal jitter": spread out, never ~0
}

export class Connection {
  #identity;
  #on;
  #ws = null;
  #welcomed = false;
  #everWelcomed = false;
  #resync = false;     // rejoining from seq 0 because the room's seqs started over
  #closed = false;
  #lastSeq = 0n;       // highest seq delivered: the resume point and the de-duplication mark
  #epoch = '';         // the Welcome.epoch #lastSeq belongs to
  #attempt = 0;
  #retryTimer = 0;
  #lastError = '';     // an Error that came before the close that explains it

  constructor(identity, handlers) {
    this.#identity = identity;
    this.#on = handlers;
  }

  get ready() {
    return this.#welcomed;
  }

  get waiting() {
    return this.#retryTimer !== 0;
  }

  start() {
    this.#connect();
  }

  retryNow() {
    if (!this.#closed && !this.#welcomed) {
      this.#connect();
    }
  }

  // Sends one ClientEvent on a welcomed connection; false when there is none right now.
  send(event) {
    const ws = this.#ws;
    if (!this.#welcomed || !ws || ws.readyState !== WebSocket.OPEN) {
      return false;
    }
    ws.send(JSON.stringify(event));
    return true;
  }

  // Leaves the room for good.
  close() {
    this.send({ leave: {} });
    this.#closed = true;
    this.#drop(1000, 'leave');
  }

  #drop(code, reason) {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = 0;
    const ws = this.#ws;
    this.#ws = null;  // its handlers see they are stale and stay quiet
    this.#welcomed = false;
    if (ws) {
      ws.close(code, reason);
    }
  }

  #connect() {
    this.#drop(1000, 'reconnect');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(scheme + '//' + location.host + '/chat');
    } catch (e) {
      this.#retry(String((e && e.message) || e));
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (ws === this.#ws) {
        this.#sendJoin(ws);
      }
    };
    ws.onmessage = (ev) => {
      if (ws === this.#ws && typeof ev.data === 'string') {
        this.#onFrame(ws, ev.data);
      }
    };
    ws.onclose = (ev) => {
      if (ws === this.#ws) {
        this.#onClose(ev);
      }
    };
  }

  #sendJoin(ws) {
    const id = this.#identity;
    // The page unpacks batch frames (#dispatch), so it lets the bridge send them.
    const join = { room: id.room, acceptBatches: true };
    if (id.token) {
      join.token = id.token();  // the token proves who we are (roomd --auth=jwt)
    } else {
      join.email = id.email;
      if (id.name) {
        join.name = id.name;
      }
    }
    if (this.#lastSeq > 0n) {
      join.afterSeq = this.#lastSeq.toString();
    }
    if (this.#epoch) {
      join.epoch = this.#epoch;
    }
    ws.send(JSON.stringify({ join: join }));
  }

  #onFrame(ws, data) {
    let event;
    try {
      event = JSON.parse(data);
    } catch (e) {
      return;  // the bridge only sends JSON; nothing sensible to do with anything else
    }
    this.#dispatch(ws, event);
  }

  #dispatch(ws, event) {
    if (!event || typeof event !== 'object' || ws !== this.#ws) {
      return;  // nonsense, or the socket was replaced while handling an earlier event
    }
    if (event.batch) {
      for (const inner of event.batch.events || []) {
        this.#dispatch(ws, inner);  // each as if it had arrived alone
      }
    } else if (event.welcome) {
      this.#onWelcome(event.welcome);
    } else if (event.message) {
      if (this.#isNew(event.message)) {
        this.#on.message(event.message);
      } else if (event.message.clientId) {
        // An old seq with a clientId: roomd's answer to a resend it had already posted
        // (the original echo), or a repeat of one already shown.
        this.#on.echo(event.message);
      }
    } else if (event.presence) {
      this.#on.presence(event.presence);
    } else if (event.presencePage) {
      this.#on.presencePage(event.presencePage);
    } else if (event.typing) {
      this.#on.typing(event.typing);
    } else if (event.historyPage) {
      this.#on.historyPage(event.historyPage);
    } else if (event.error) {
      if (!this.#welcomed) {
        this.#lastError = event.error.message || event.error.code || '';
      }
      this.#on.error(event.error);
    }
  }

  // A message is new when its seq is above every seq delivered so far (seqs have no gaps).
  #isNew(m) {
    const seq = toSeq(m.seq);
    if (seq <= this.#lastSeq) {
      return false;
    }
    this.#lastSeq = seq;
    return true;
  }

  #onWelcome(w) {
    const history = w.history || [];
    const serverLast = toSeq(w.lastSeq);
    const prevLast = this.#lastSeq;
    let gap = '';
    this.#epoch = w.epoch || '';
    if (w.historyReset) {
      // roomd says our seqs are from an earlier numbering: history is the room's latest.
      this.#lastSeq = 0n;
      gap = 'reset';
    } else if (serverLast < prevLast) {
      // The room's seqs started over: roomd restarted and its history is gone. Messages
      // already shown stay; if the new history has some we lack, rejoin from seq 0.
      this.#lastSeq = 0n;
      if (serverLast > 0n && history.length === 0) {
        this.#resync = true;
        this.#connect();
        return;
      }
      gap = 'restarted';
    } else if (this.#resync) {
      gap = 'restarted';
    } else if (history.length > 0 ? toSeq(history[0].seq) > prevLast + 1n : serverLast > prevLast) {
      gap = 'missed';  // more was said than Welcome.history holds
    }
    const reconnect = this.#everWelcomed;
    this.#welcomed = true;
    this.#everWelcomed = true;
    this.#resync = false;
    this.#attempt = 0;
    this.#lastError = '';
    const fresh = history.filter((m) => this.#isNew(m));
    if (serverLast > this.#lastSeq) {
      this.#lastSeq = serverLast;
    }
    this.#on.welcome({
      self: w.self || {}, room: w.room || this.#identity.room, online: w.online || [],
      onlineCount: w.onlineCount || 0, nextPageToken: w.onlineNextPageToken || '',
      history: fresh, reconnect: reconnect, gap: reconnect ? gap : '',
    });
  }

  #reasonFor(ev) {
    if (ev.reason) {
      return ev.reason;
    }
    if (this.#lastError) {
      return this.#lastError;
    }
    if (ev.code >= 4000 && ev.code < 4000 + GRPC_CODES.length) {
      return GRPC_CODES[ev.code - 4000].toLowerCase().replace(/_/g, ' ');
    }
    if (ev.code === 1001) {
      return 'the server is restarting';
    }
    return '';
  }

  #onClose(ev) {
    const wasWelcomed = this.#welcomed;
    const reason = this.#reasonFor(ev);
    this.#ws = null;
    this.#welcomed = false;
    this.#lastError = '';
    const grpc = ev.code >= 4000 && ev.code < 4100 ? ev.code - 4000 : -1;
    if (PERMANENT_GRPC.has(grpc) || ev.code === CLOSE_POLICY_VIOLATION) {
      this.#closed = true;
      this.#on.refused(reason || 'the server refused the connection');
      return;
    }
    if (wasWelcomed) {
      this.#on.lost(reason);
    }
    this.#retry(reason);
  }

  #retry(reason) {
    const delay = backoffDelay(this.#attempt++);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = 0;
      this.#connect();
    }, delay);
    this.#on.retrying(reason, delay, this.#everWelcomed);
  }
}
