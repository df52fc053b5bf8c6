#pragma once

// A browser's side of permessage-deflate, for tests of what the bridge inflates: one raw
// compressor for the whole connection (it keeps its window between messages), each message
// sync-flushed with its final 00 00 ff ff cut off, as RFC 7692 has it.

#include <zlib.h>

#include <string>

#include "gtest/gtest.h"

namespace wsbridge {

class BrowserDeflater {
 public:
  explicit BrowserDeflater(int window_bits = 15) {
    EXPECT_EQ(deflateInit2(&z_, 6, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  }
  ~BrowserDeflater() { deflateEnd(&z_); }
  BrowserDeflater(const BrowserDeflater&) = delete;
  BrowserDeflater& operator=(const BrowserDeflater&) = delete;

  std::string Compress(const std::string& message) {
    std::string out(deflateBound(&z_, message.size()) + 16, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
    z_.avail_in = static_cast<uInt>(message.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z_, Z_SYNC_FLUSH), Z_OK);
    out.resize(out.size() - z_.avail_out - 4);  // 00 00 ff ff
    return out;
  }

 private:
  z_stream z_{};
};

}  // namespace wsbridge
