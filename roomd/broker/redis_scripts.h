#pragma once

// The Lua scripts the Redis broker runs. Each one is atomic in Redis, which is what makes a
// room's seq gap-free across nodes and its presence counts exact.
//
// Keys (a room's keys share the hash tag {room}):
//   chat:{R}:seq          last message seq (INCR)
//   chat:{R}:epoch        names the seq numbering (Welcome.epoch), set once
//   chat:{R}:log          stream of ChatMessages, id "<seq>-0", capped at the history size
//   chat:{R}:order        last event order: every message and presence change of the room
//                         bumps it, so a node can tell a missed event and resync
//   chat:{R}:online       zset user id -> order of its join
//   chat:{R}:users        hash user id -> serialized chat.v1.User
//   chat:{R}:count        hash user id -> nodes holding the user
//   chat:{R}:sent:U       hash client_id -> seq: user U's sends already sequenced
//   chat:{R}:sent_at:U    zset client_id -> when (Redis clock, ms), to forget old sends
//   chat:{R}:node:N       set of user ids node N holds in the room
//   chat:node:N:rooms     set of rooms where node N holds users
//   chat:nodes            zset node -> heartbeat deadline (Redis clock, ms)
//   chat:rooms            set of room names
// Channels: chat:{R} carries "<order> <node> <conn>\n" + a serialized chat.v1.ServerEvent
// (order 0: unordered, e.g. typing); chat:ping:N carries node N's heartbeat back to it.

#include <string>

namespace roomd {

enum class RedisScript {
  kPost,            // ARGV room node conn message maxlen user_id client_id keep keep_ms most
                    //   -> {seq, duplicate (0/1), original message or ""}
  kPresenceAdd,     // ARGV room node conn user_id user -> order from which the user is online
  kPresenceRemove,  // ARGV room node conn user_id -> 0
  kPresenceSync,    // ARGV room node [user_id user]... -> 0 (node's users become exactly those)
  kSnapshot,        // ARGV room known_last_seq count epoch
                    //   -> {order, last_seq, {message}, {user}, epoch}
  kHistory,         // ARGV room start_id limit -> {last_seq, {message}}
  kOnline,          // ARGV room -> {user}
  kRooms,           // ARGV limit -> {name, online_count, last_seq}...
  kHeartbeat,       // ARGV node expiry_ms ping -> 1 if the node was not registered
  kNodeClear,       // ARGV node deregister keep_room... -> 0
};

inline constexpr RedisScript kAllRedisScripts[] = {
    RedisScript::kPost,      RedisScript::kPresenceAdd, RedisScript::kPresenceRemove,
    RedisScript::kPresenceSync, RedisScript::kSnapshot, RedisScript::kHistory,
    RedisScript::kOnline,    RedisScript::kRooms,       RedisScript::kHeartbeat,
    RedisScript::kNodeClear};

// The script's Lua source and its SHA-1 (hex), for SCRIPT LOAD / EVALSHA / EVAL.
const std::string& RedisScriptSource(RedisScript script);
const std::string& RedisScriptSha(RedisScript script);

// Channel names.
std::string RoomChannel(const std::string& room);
std::string PingChannel(const std::string& node);

}  // namespace roomd
