#include "roomd/core/room_registry.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "roomd/core/roomd_metrics.h"

namespace roomd {

RoomRegistry::RoomRegistry(const ServerOptions& options, Timer* timer, Broker* broker,
                           MessageStore* store)
    : options_(options), timer_(timer), broker_(broker), store_(store) {}

absl::StatusOr<std::shared_ptr<Room>> RoomRegistry::GetOrCreate(absl::string_view name) {
  chat::MutexLock lock(&mu_);
  if (auto it = rooms_.find(name); it != rooms_.end()) {
    return it->second;
  }
  if (rooms_.size() >= options_.max_rooms && !EvictOneLocked()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many rooms on this server (limit ", options_.max_rooms, ")"));
  }
  auto room = std::make_shared<Room>(std::string(name), options_, timer_, store_);
  if (store_ != nullptr) {
    // A short indexed read; rooms are made rarely (first use, or after an eviction).
    absl::StatusOr<StoredRoom> stored = store_->LoadRoom(std::string(name), options_.history_size);
    if (!stored.ok()) {
      return stored.status();
    }
    room->LoadStored(*stored);
  }
  if (broker_ != nullptr) {
    if (std::unique_ptr<RoomLink> link = broker_->Link(room)) {
      room->AttachLink(std::move(link));
    }
  }
  rooms_.emplace(std::string(name), room);
  RoomdMetrics::Get().rooms->Inc();
  return room;
}

std::shared_ptr<Room> RoomRegistry::Find(absl::string_view name) const {
  chat::MutexLock lock(&mu_);
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second;
}

std::vector<chat::v1::RoomInfo> RoomRegistry::List() const {
  std::vector<std::shared_ptr<Room>> rooms;
  {
    chat::MutexLock lock(&mu_);
    rooms.reserve(rooms_.size());
    for (const auto& [name, room] : rooms_) {
      rooms.push_back(room);
    }
  }
  std::vector<chat::v1::RoomInfo> infos;
  infos.reserve(rooms.size());
  absl::flat_hash_set<std::string> live;
  for (const auto& room : rooms) {
    infos.push_back(room->Info());
    live.insert(room->name());
  }
  if (store_ != nullptr) {
    // Rooms that only the store remembers (after a restart, or evicted) are listed too.
    absl::StatusOr<std::vector<chat::v1::RoomInfo>> stored = store_->ListRooms();
    if (stored.ok()) {
      for (chat::v1::RoomInfo& info : *stored) {
        if (!live.contains(info.name())) {
          infos.push_back(std::move(info));
        }
      }
    }
  }
  std::sort(infos.begin(), infos.end(),
            [](const chat::v1::RoomInfo& a, const chat::v1::RoomInfo& b) {
              return a.name() < b.name();
            });
  return infos;
}

bool RoomRegistry::EvictOneLocked() {
  // Oldest activity first; a room that gained a member since is skipped by CloseIfEmpty.
  std::vector<std::pair<absl::Time, std::string>> candidates;
  for (const auto& [name, room] : rooms_) {
    if (room->connection_count() == 0) {
      candidates.emplace_back(room->last_activity(), name);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  for (const auto& [when, name] : candidates) {
    auto it = rooms_.find(name);
    if (it->second->CloseIfEmpty()) {
      rooms_.erase(it);
      RoomdMetrics::Get().rooms->Dec();
      return true;
    }
  }
  return false;
}

}  // namespace roomd
