// A chat bot for roomd, in Node with @grpc/grpc-js (npm ci first, in this folder).
//
// It joins a room and answers three commands:
//   !help   the commands
//   !time   the time (the bot's clock, UTC)
//   !who    who is online
// When roomd goes away (a restart), it reconnects and resumes where it was: Join.afterSeq and
// Join.epoch ask for the messages it missed (it answers commands among them), or, if roomd's
// numbering restarted, Welcome.historyReset says the old seqs mean nothing.
//
//   node bot.mjs --target 127.0.0.1:50051 --room lobby [--email bot@example.com] [--name Bot]
//
// The .proto is loaded at start (@grpc/proto-loader): nothing generated is kept.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    target: { type: 'string', default: '127.0.0.1:50051' },
    room: { type: 'string', default: 'lobby' },
    email: { type: 'string', default: 'bot@example.com' },
    name: { type: 'string', default: 'Bot' },
  },
});

// uint64 fields (seq, lastSeq, afterSeq) come as strings: compare them as BigInt.
const definition = protoLoader.loadSync('chat/v1/chat.proto', {
  includeDirs: [path.join(here, '..', '..', '..', 'proto')],
  longs: String, defaults: true, oneofs: true,
});
const { ChatService } = grpc.loadPackageDefinition(definition).chat.v1;
// Retry the connection quickly while roomd restarts (gRPC's default waits up to 2 min).
const client = new ChatService(args.target, grpc.credentials.createInsecure(), {
  'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 5000,
});

let lastSeq = 0n;   // the last message seen: where to resume
let epoch = '';     // the numbering lastSeq belongs to
let me = '';        // our own user id
let online = new Map();  // user id -> display name
let sent = 0;       // for client_id
let delayMs = 200;  // reconnect backoff

function answer(command) {
  switch (command) {
    case '!help':
      return 'Commands: !help (this list), !time (the time, UTC), !who (who is online)';
    case '!time':
      return 'It is ' + new Date().toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
    case '!who':
      return 'Online: ' + [...online.values()].sort().join(', ');
    default:
      return null;
  }
}

function onMessage(call, m, { reply = true } = {}) {
  if (BigInt(m.seq) <= lastSeq) {
    return;  // seen already
  }
  lastSeq = BigInt(m.seq);
  const text = reply && m.from.id !== me ? answer(m.text.trim()) : null;
  if (text) {
    call.write({ send: { text, clientId: `${me}-${epoch}-${++sent}` } });
  }
}

function onWelcome(call, w) {
  const resumed = w.epoch === epoch && lastSeq > 0n;
  if (!resumed) {
    lastSeq = 0n;  // a first join, or w.historyReset: old seqs mean nothing
  }
  me = w.self.id;
  epoch = w.epoch;
  online = new Map(w.online.map((u) => [u.id, u.name]));
  console.log(`bot: joined #${w.room} as ${w.self.name}${resumed ? ' (resumed)' : ''}`);
  for (const m of w.history) {
    onMessage(call, m, { reply: resumed });  // only commands we missed while away
  }
  if (BigInt(w.lastSeq) > lastSeq) {
    lastSeq = BigInt(w.lastSeq);
  }
}

function connect() {
  const call = client.Chat();
  const started = Date.now();
  let ended = false;
  const reconnect = (reason) => {
    if (ended) {
      return;
    }
    ended = true;
    // Back off (doubling up to 5 s) unless the stream had been up for a while.
    delayMs = Date.now() - started > 10000 ? 200 : Math.min(delayMs * 2, 5000);
    console.log(`bot: disconnected (${reason}); reconnecting in ${delayMs} ms`);
    setTimeout(connect, delayMs);
  };
  // One event per ServerEvent: we do not ask for batches (Join.acceptBatches).
  call.on('data', (event) => {
    if (event.event === 'welcome') {
      onWelcome(call, event.welcome);
    } else if (event.event === 'message') {
      onMessage(call, event.message);
    } else if (event.event === 'presence') {
      const p = event.presence;
      if (p.joined) {
        online.set(p.joined.id, p.joined.name);
      }
      if (p.left) {
        online.delete(p.left.id);
      }
    }
  });
  call.on('error', (error) => {
    if (error.code === grpc.status.INVALID_ARGUMENT) {
      console.error(`bot: refused: ${error.details}`);  // retrying would not help
      process.exit(1);
    }
    reconnect(`${grpc.status[error.code]}: ${error.details}`);
  });
  call.on('end', () => reconnect('the stream ended'));
  // Resume after what we saw, naming the numbering those seqs belong to.
  call.write({ join: { room: args.room, email: args.email, name: args.name,
    afterSeq: lastSeq.toString(), epoch } });
}

connect();
