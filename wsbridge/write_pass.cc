#include "wsbridge/write_pass.h"

#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

namespace wsbridge {
namespace {

struct Pending {
  std::vector<std::shared_ptr<WritePass::Writer>> writers;
  bool posted = false;
};

Pending& ThisLoopsPending() {
  thread_local Pending pending;
  return pending;
}

void RunPass() {
  Pending& pending = ThisLoopsPending();
  std::vector<std::shared_ptr<WritePass::Writer>> writers;
  writers.swap(pending.writers);
  pending.posted = false;
  for (const std::shared_ptr<WritePass::Writer>& writer : writers) {
    writer->WriteQueued();
  }
}

}  // namespace

void WritePass::Schedule(const boost::asio::any_io_executor& loop,
                         std::shared_ptr<Writer> writer) {
  Pending& pending = ThisLoopsPending();
  pending.writers.push_back(std::move(writer));
  if (!pending.posted) {
    pending.posted = true;
    boost::asio::post(loop, RunPass);
  }
}

}  // namespace wsbridge
