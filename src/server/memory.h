// Process memory figures for INFO memory: allocator statistics (jemalloc's
// own counters when linked with it) and RSS from /proc.
#pragma once

#include <cstddef>
#include <string>

namespace magpie {

struct MemoryStats {
  size_t allocated = 0;  // bytes handed out by the allocator (used_memory)
  size_t active = 0;     // bytes in active pages
  size_t resident = 0;   // bytes the allocator keeps resident
  size_t rss = 0;        // process RSS from /proc/self/statm
  size_t peak = 0;       // highest `allocated` seen
  size_t startup = 0;    // `allocated` when first read, at startup
};

MemoryStats ReadMemoryStats();
// Samples allocator memory to keep the peak current (called periodically).
void UpdateMemoryPeak();
const char* AllocatorName();
// Returns dirty pages to the OS (MEMORY PURGE).
void PurgeAllocator();
// The allocator's own statistics report (MEMORY MALLOC-STATS).
std::string AllocatorStatsReport();

}  // namespace magpie
