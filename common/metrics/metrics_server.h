#pragma once

// A tiny HTTP/1.1 server for Prometheus' scrapes: GET /metrics answers the registry's text,
// anything else 404. One thread serves one request per connection, in turn: scrapes come
// every few seconds, and a client that says nothing is cut off after a short timeout.
// Used by both daemons (roomd has no HTTP server of its own; wsbridge keeps its public
// port for browsers). Lifetime: the destructor stops the thread and closes the socket.

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

namespace chat::metrics {

class MetricsServer {
 public:
  // Listens on `address` ("host:port", "[v6]:port"; port 0 picks one).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                              Registry* registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }

 private:
  MetricsServer(int listen_fd, int stop_fd, int port, Registry* registry);
  void Loop();
  void Serve(int fd);

  const int listen_fd_;
  const int stop_fd_;  // an eventfd: readable once the destructor asks the loop to end
  const int port_;
  Registry* const registry_;
  std::thread thread_;  // last: it starts serving as soon as it is constructed
};

// The HTTP response (headers and body) for a scrape of `registry`.
std::string MetricsResponse(Registry* registry);

}  // namespace chat::metrics
