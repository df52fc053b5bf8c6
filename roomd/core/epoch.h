#pragma once

// A room's epoch names one run of its seq numbering (Welcome.epoch): a client that kept
// seqs from another epoch must drop them (Welcome.history_reset). The memory broker starts
// a new epoch with each Room (a restart, or a room recycled while empty); the Redis broker
// keeps the room's epoch in Redis (redis_scripts.h); the SQLite store keeps one per file
// (its meta table), since the numbering lasts as long as the file.

#include <string>

namespace roomd {

// A fresh epoch: 16 random hex digits.
std::string NewEpoch();

}  // namespace roomd
