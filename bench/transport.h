#pragma once

// How a client's messages leave the tool: a WebSocket to wsbridge or a gRPC stream to roomd.

#include <string>

namespace bench {

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one chat message (Send{text, client_id}). Called on the client's executor.
  virtual void SendMessage(const std::string& text, const std::string& client_id) = 0;
};

}  // namespace bench
