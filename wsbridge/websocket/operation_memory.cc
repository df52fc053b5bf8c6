#include "wsbridge/websocket/operation_memory.h"

#include <vector>

namespace wsbridge {
namespace {

struct alignas(std::max_align_t) Block {
  unsigned char bytes[OperationMemory::kBlockBytes];
};

struct FreeList {
  std::vector<Block*> blocks;
  std::size_t served = 0;
  std::size_t oversize = 0;

  ~FreeList() {
    for (Block* block : blocks) {
      delete block;
    }
  }
};

FreeList& ThisThreadsList() {
  thread_local FreeList list;
  return list;
}

}  // namespace

void* OperationMemory::Allocate(std::size_t bytes) {
  FreeList& list = ThisThreadsList();
  if (bytes > kBlockBytes) {
    ++list.oversize;
    return ::operator new(bytes);
  }
  ++list.served;
  if (list.blocks.empty()) {
    return new Block;
  }
  Block* block = list.blocks.back();
  list.blocks.pop_back();
  return block;
}

void OperationMemory::Deallocate(void* pointer, std::size_t bytes) {
  if (bytes > kBlockBytes) {
    ::operator delete(pointer);
    return;
  }
  Block* block = static_cast<Block*>(pointer);
  FreeList& list = ThisThreadsList();
  if (list.blocks.size() >= kMaxFreeBlocks) {
    delete block;
    return;
  }
  list.blocks.push_back(block);
}

std::size_t OperationMemory::free_blocks() { return ThisThreadsList().blocks.size(); }

std::size_t OperationMemory::blocks_served() { return ThisThreadsList().served; }

std::size_t OperationMemory::oversize_allocations() { return ThisThreadsList().oversize; }

}  // namespace wsbridge
