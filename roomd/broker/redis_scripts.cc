#include "roomd/broker/redis_scripts.h"

#include <openssl/sha.h>

#include <array>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace roomd {
namespace {

// Helpers every script starts with. Protobuf fields are appended to pre-serialized bytes
// (a parser merges them), so Lua never decodes a message: tags are (field << 3) | wire type.
constexpr char kPrelude[] = R"lua(
local function key(room, what) return 'chat:{' .. room .. '}:' .. what end
local function node_rooms(node) return 'chat:node:' .. node .. ':rooms' end
local function int(n) return string.format('%d', n) end
local function varint(n)
  local out = {}
  while n >= 128 do
    local low = n % 128
    out[#out + 1] = string.char(low + 128)
    n = (n - low) / 128
  end
  out[#out + 1] = string.char(n)
  return table.concat(out)
end
local function bytes_field(tag, s) return string.char(tag) .. varint(#s) .. s end
local function int_field(tag, n) return string.char(tag) .. varint(n) end
local function publish(room, order, node, conn, event)
  redis.call('PUBLISH', 'chat:{' .. room .. '}', int(order) .. ' ' .. node .. ' ' .. conn .. '\n' .. event)
end
-- ServerEvent{presence(3): Presence{room(1), joined(2) | left(3): user, online_count(4)}}
local function presence_event(room, side_tag, user, count)
  return bytes_field(26, bytes_field(10, room) .. bytes_field(side_tag, user) .. int_field(32, count))
end
local function add_user(room, node, conn, uid, user)
  if redis.call('SADD', key(room, 'node:' .. node), uid) == 0 then return end
  redis.call('SADD', node_rooms(node), room)
  redis.call('SADD', 'chat:rooms', room)
  if redis.call('HINCRBY', key(room, 'count'), uid, 1) ~= 1 then return end
  local order = redis.call('INCR', key(room, 'order'))
  redis.call('ZADD', key(room, 'online'), int(order), uid)
  redis.call('HSET', key(room, 'users'), uid, user)
  publish(room, order, node, conn, presence_event(room, 18, user, redis.call('ZCARD', key(room, 'online'))))
end
local function remove_user(room, node, conn, uid)
  if redis.call('SREM', key(room, 'node:' .. node), uid) == 0 then return end
  if redis.call('SCARD', key(room, 'node:' .. node)) == 0 then
    redis.call('SREM', node_rooms(node), room)
  end
  if redis.call('HINCRBY', key(room, 'count'), uid, -1) > 0 then return end
  redis.call('HDEL', key(room, 'count'), uid)
  local user = redis.call('HGET', key(room, 'users'), uid)
  redis.call('HDEL', key(room, 'users'), uid)
  redis.call('ZREM', key(room, 'online'), uid)
  if user then
    local order = redis.call('INCR', key(room, 'order'))
    publish(room, order, node, conn, presence_event(room, 26, user, redis.call('ZCARD', key(room, 'online'))))
  end
end
-- Takes node's users out of every room except those in `keep`.
local function clear_node(node, keep)
  for _, room in ipairs(redis.call('SMEMBERS', node_rooms(node))) do
    if not keep[room] then
      for _, uid in ipairs(redis.call('SMEMBERS', key(room, 'node:' .. node))) do
        remove_user(room, node, '0', uid)
      end
    end
  end
end
)lua";

// Sequences one message: seq from the room's counter (never at or below the stream's last
// id, should the counter have been lost), appended to the capped stream, published. A
// client_id its user already had sequenced posts nothing: the reply is the original's seq
// and, if the log still holds it, the original. The ledger of a user's sends (a hash
// client_id -> seq, and a zset client_id -> Redis time in ms) keeps each send while it is
// among the user's last ARGV[8] or younger than ARGV[9] ms, never more than ARGV[10]: so it
// is trimmed by count only, and never expires as a whole (an idle user's last sends stay).
constexpr char kPost[] = R"lua(
local room, uid, cid = ARGV[1], ARGV[6], ARGV[7]
local sent, sent_at
if cid ~= '' then
  sent, sent_at = key(room, 'sent:' .. uid), key(room, 'sent_at:' .. uid)
  local seen = redis.call('HGET', sent, cid)
  if seen then
    local entry = redis.call('XRANGE', key(room, 'log'), seen .. '-0', seen .. '-0')
    local original = ''
    if #entry > 0 then original = entry[1][2][2] end
    return {tonumber(seen), 1, original}
  end
end
local seq = redis.call('INCR', key(room, 'seq'))
local top = redis.call('XREVRANGE', key(room, 'log'), '+', '-', 'COUNT', 1)
if #top > 0 then
  local last = tonumber(string.match(top[1][1], '^%d+'))
  if last and last >= seq then
    seq = last + 1
    redis.call('SET', key(room, 'seq'), int(seq))
  end
end
local message = ARGV[4] .. int_field(16, seq)
redis.call('XADD', key(room, 'log'), 'MAXLEN', ARGV[5], int(seq) .. '-0', 'm', message)
redis.call('SADD', 'chat:rooms', room)
local order = redis.call('INCR', key(room, 'order'))
publish(room, order, ARGV[2], ARGV[3], bytes_field(18, message))
if sent then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', sent, cid, int(seq))
  redis.call('ZADD', sent_at, int(now), cid)
  local keep, keep_ms, most = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
  while true do
    local n = redis.call('ZCARD', sent_at)
    if n <= keep then break end
    local oldest = redis.call('ZRANGE', sent_at, 0, 0, 'WITHSCORES')
    if n <= most and tonumber(oldest[2]) >= now - keep_ms then break end
    redis.call('ZREM', sent_at, oldest[1])
    redis.call('HDEL', sent, oldest[1])
  end
  -- Ledgers written by an older roomd expire as a whole: take that expiry off.
  redis.call('PERSIST', sent)
  redis.call('PERSIST', sent_at)
end
return {seq, 0, ''}
)lua";

constexpr char kPresenceAdd[] = R"lua(
add_user(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return tonumber(redis.call('GET', key(ARGV[1], 'order')) or '0')
)lua";

constexpr char kPresenceRemove[] = R"lua(
remove_user(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 0
)lua";

constexpr char kPresenceSync[] = R"lua(
local room, node = ARGV[1], ARGV[2]
local want = {}
for i = 3, #ARGV, 2 do want[ARGV[i]] = true end
for _, uid in ipairs(redis.call('SMEMBERS', key(room, 'node:' .. node))) do
  if not want[uid] then remove_user(room, node, '0', uid) end
end
for i = 3, #ARGV, 2 do add_user(room, node, '0', ARGV[i], ARGV[i + 1]) end
return 0
)lua";

// A room's state at one event order. A node that knows a later seq than Redis (Redis lost
// its data) raises the counter, so seqs never go back for the clients already connected.
// The room's epoch is set once, from the first node that asks (ARGV[4]).
constexpr char kSnapshot[] = R"lua(
local room = ARGV[1]
redis.call('SET', key(room, 'epoch'), ARGV[4], 'NX')
local seq = tonumber(redis.call('GET', key(room, 'seq')) or '0')
if tonumber(ARGV[2]) > seq then
  seq = tonumber(ARGV[2])
  redis.call('SET', key(room, 'seq'), ARGV[2])
end
local order = redis.call('GET', key(room, 'order')) or '0'
local history = {}
local entries = redis.call('XREVRANGE', key(room, 'log'), '+', '-', 'COUNT', ARGV[3])
for i = #entries, 1, -1 do history[#history + 1] = entries[i][2][2] end
local online = {}
for _, uid in ipairs(redis.call('ZRANGE', key(room, 'online'), 0, -1)) do
  local user = redis.call('HGET', key(room, 'users'), uid)
  if user then online[#online + 1] = user end
end
return {order, int(seq), history, online, redis.call('GET', key(room, 'epoch'))}
)lua";

constexpr char kHistory[] = R"lua(
local entries
if ARGV[3] == '0' then
  entries = redis.call('XRANGE', key(ARGV[1], 'log'), ARGV[2], '+')
else
  entries = redis.call('XRANGE', key(ARGV[1], 'log'), ARGV[2], '+', 'COUNT', ARGV[3])
end
local messages = {}
for i, entry in ipairs(entries) do messages[i] = entry[2][2] end
return {redis.call('GET', key(ARGV[1], 'seq')) or '0', messages}
)lua";

constexpr char kOnline[] = R"lua(
local online = {}
for _, uid in ipairs(redis.call('ZRANGE', key(ARGV[1], 'online'), 0, -1)) do
  local user = redis.call('HGET', key(ARGV[1], 'users'), uid)
  if user then online[#online + 1] = user end
end
return online
)lua";

constexpr char kRooms[] = R"lua(
local out = {}
for _, room in ipairs(redis.call('SORT', 'chat:rooms', 'ALPHA', 'LIMIT', 0, ARGV[1])) do
  out[#out + 1] = room
  out[#out + 1] = int(redis.call('ZCARD', key(room, 'online')))
  out[#out + 1] = redis.call('GET', key(room, 'seq')) or '0'
end
return out
)lua";

// Keeps this node alive until now + expiry (Redis's clock, so nodes' clocks do not matter),
// takes the users of nodes past their deadline out of every room, and sends this node's
// ping back to its own subscription (which proves the pub/sub path works).
constexpr char kHeartbeat[] = R"lua(
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local added = redis.call('ZADD', 'chat:nodes', int(now + tonumber(ARGV[2])), ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', 'chat:nodes', '-inf', '(' .. int(now), 'LIMIT', 0, 16)
for _, node in ipairs(dead) do
  clear_node(node, {})
  redis.call('ZREM', 'chat:nodes', node)
end
redis.call('PUBLISH', 'chat:ping:' .. ARGV[1], ARGV[3])
return added
)lua";

constexpr char kNodeClear[] = R"lua(
local keep = {}
for i = 3, #ARGV do keep[ARGV[i]] = true end
clear_node(ARGV[1], keep)
if ARGV[2] == '1' then redis.call('ZREM', 'chat:nodes', ARGV[1]) end
return 0
)lua";

struct Compiled {
  std::string source;
  std::string sha;
};

Compiled Compile(const char* body) {
  Compiled compiled;
  compiled.source = absl::StrCat(kPrelude, body);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest;
  SHA1(reinterpret_cast<const unsigned char*>(compiled.source.data()), compiled.source.size(),
       digest.data());
  compiled.sha = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  return compiled;
}

const Compiled& Get(RedisScript script) {
  static const Compiled* const kCompiled = [] {
    static Compiled compiled[] = {Compile(kPost),     Compile(kPresenceAdd),
                                  Compile(kPresenceRemove), Compile(kPresenceSync),
                                  Compile(kSnapshot), Compile(kHistory),
                                  Compile(kOnline),   Compile(kRooms),
                                  Compile(kHeartbeat), Compile(kNodeClear)};
    return compiled;
  }();
  return kCompiled[static_cast<int>(script)];
}

}  // namespace

const std::string& RedisScriptSource(RedisScript script) { return Get(script).source; }

const std::string& RedisScriptSha(RedisScript script) { return Get(script).sha; }

std::string RoomChannel(const std::string& room) { return absl::StrCat("chat:{", room, "}"); }

std::string PingChannel(const std::string& node) { return absl::StrCat("chat:ping:", node); }

}  // namespace roomd
