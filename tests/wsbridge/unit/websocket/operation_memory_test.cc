#include "wsbridge/websocket/operation_memory.h"

#include <string>
#include <thread>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

namespace wsbridge {
namespace {

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;

TEST(OperationMemoryTest, SmallBlocksComeBackToTheListAndLargeOnesGoToTheHeap) {
  const std::size_t free_before = OperationMemory::free_blocks();
  void* small = OperationMemory::Allocate(100);
  OperationMemory::Deallocate(small, 100);
  EXPECT_EQ(OperationMemory::free_blocks(), free_before + 1);
  // The next small one reuses that block.
  EXPECT_EQ(OperationMemory::Allocate(OperationMemory::kBlockBytes), small);
  OperationMemory::Deallocate(small, OperationMemory::kBlockBytes);

  const std::size_t oversize_before = OperationMemory::oversize_allocations();
  void* large = OperationMemory::Allocate(OperationMemory::kBlockBytes + 1);
  OperationMemory::Deallocate(large, OperationMemory::kBlockBytes + 1);
  EXPECT_EQ(OperationMemory::oversize_allocations(), oversize_before + 1);
  EXPECT_EQ(OperationMemory::free_blocks(), free_before + 1);
}

TEST(OperationMemoryTest, TheListKeepsABoundedNumberOfBlocks) {
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < OperationMemory::kMaxFreeBlocks + 10; ++i) {
    blocks.push_back(OperationMemory::Allocate(64));
  }
  for (void* block : blocks) {
    OperationMemory::Deallocate(block, 64);
  }
  EXPECT_EQ(OperationMemory::free_blocks(), OperationMemory::kMaxFreeBlocks);
}

// The bridge's own write (websocket::stream<tcp::socket>::async_write with the allocator
// bound) fits a block: were it larger, every write would go to the heap again.
TEST(OperationMemoryTest, AWebSocketWriteIsServedFromTheList) {
  net::io_context ioc;
  net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
  const auto endpoint = acceptor.local_endpoint();
  std::thread client_thread([endpoint] {
    net::io_context client_ioc;
    websocket::stream<net::ip::tcp::socket> client(client_ioc);
    client.next_layer().connect(endpoint);
    client.handshake("127.0.0.1", "/");
    boost::beast::flat_buffer buffer;
    client.read(buffer);
    client.close(websocket::close_code::normal);
  });
  websocket::stream<net::ip::tcp::socket> server(acceptor.accept());
  server.accept();

  const std::size_t served_before = OperationMemory::blocks_served();
  const std::size_t oversize_before = OperationMemory::oversize_allocations();
  const std::string text = "{\"message\":{\"text\":\"hi\"}}";
  boost::beast::error_code result = net::error::would_block;
  server.text(true);
  server.async_write(net::buffer(text),
                     net::bind_allocator(OperationAllocator<void>(),
                                         [&](boost::beast::error_code ec, std::size_t) {
                                           result = ec;
                                         }));
  ioc.run();
  EXPECT_FALSE(result) << result.message();
  EXPECT_GT(OperationMemory::blocks_served(), served_before);
  EXPECT_EQ(OperationMemory::oversize_allocations(), oversize_before);
  EXPECT_GE(OperationMemory::free_blocks(), 1u);  // and the block came back

  boost::beast::flat_buffer buffer;
  boost::beast::error_code ec;
  server.read(buffer, ec);  // the client's close
  client_thread.join();
}

}  // namespace
}  // namespace wsbridge
