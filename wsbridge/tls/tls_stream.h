#pragma once

// A browser connection over TLS (--tls_cert_file): the handshake and HTTP requests run on
// it with tcp_stream's timeouts, then it carries the WebSocket. Beast's TLS stream type is
// boost::beast::ssl_stream; asio's is enough here, as it can be handed over whole.

#include <memory>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace wsbridge {

using TlsStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

}  // namespace wsbridge
