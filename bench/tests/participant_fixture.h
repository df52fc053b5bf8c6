#pragma once

// A Participant for the frame decoders' tests: two senders, every message acknowledged,
// the whole run measured, and no sender armed (so none is ever called).

#include <gtest/gtest.h>

#include <memory>

#include "bench/ack_table.h"
#include "bench/bench_options.h"
#include "bench/participant.h"
#include "bench/run_state.h"

namespace bench {

class ParticipantFixture : public ::testing::Test {
 protected:
  ParticipantFixture() : run_(1), acks_(2, 8) {
    options_.senders = 2;
    options_.ack = AckMode::kAll;
    run_.senders().assign(2, nullptr);
    run_.SetMeasureStart(0);
    run_.SetMeasureEnd(1'000'000'000);
    participant_ = std::make_unique<Participant>(5, 0, options_, &run_, &acks_);
  }

  BenchOptions options_;
  RunState run_;
  AckTable acks_;
  std::unique_ptr<Participant> participant_;
};

}  // namespace bench
