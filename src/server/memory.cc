#include "server/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>

#ifdef MAGPIE_JEMALLOC
#include <jemalloc/jemalloc.h>
// MALLCTL_ARENAS_ALL (4096) as the string mallctl names need.
#define STRINGIFY_ARENAS_ALL "4096"
static_assert(MALLCTL_ARENAS_ALL == 4096);
#endif

#include "store/evict.h"
#include "store/table.h"

namespace magpie {

namespace {
std::atomic<size_t> g_peak{0};

size_t ReadRss() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = fscanf(f, "%lu %lu", &size, &resident);
  fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}
}  // namespace

const char* AllocatorName() {
#ifdef MAGPIE_JEMALLOC
  return "jemalloc-5.3.0";
#else
  return "libc";
#endif
}

MemoryStats ReadMemoryStats() {
  MemoryStats m;
#ifdef MAGPIE_JEMALLOC
  m.allocated = AllocatorLiveBytes();
  size_t v = 0;
  size_t sz = sizeof(v);
  if (mallctl("stats.active", &v, &sz, nullptr, 0) == 0) m.active = v;
  if (mallctl("stats.resident", &v, &sz, nullptr, 0) == 0) m.resident = v;
#else
  struct mallinfo2 mi = mallinfo2();
  m.allocated = mi.uordblks + mi.hblkhd;
#endif
  m.rss = ReadRss();
  // Sanitizer runtimes replace malloc and report no statistics: count the
  // store's own bytes over the RSS the process started with, so the figure
  // follows the data both ways (RSS never shrinks) and maxmemory can work.
  if (m.allocated == 0) {
    static const size_t baseline = m.rss;
    m.allocated = baseline + static_cast<size_t>(std::max<int64_t>(0, TrackedBytes()));
  }
  CalibrateMemory(m.allocated);
  static const size_t startup = m.allocated;
  m.startup = startup;
  if (m.active == 0) m.active = m.allocated;
  if (m.resident == 0) m.resident = m.allocated;
  size_t peak = g_peak.load();
  while (m.allocated > peak && !g_peak.compare_exchange_weak(peak, m.allocated)) {
  }
  m.peak = std::max(peak, m.allocated);
  return m;
}

void UpdateMemoryPeak() { ReadMemoryStats(); }

void PurgeAllocator() {
#ifdef MAGPIE_JEMALLOC
  mallctl("arena." STRINGIFY_ARENAS_ALL ".purge", nullptr, nullptr, nullptr, 0);
#else
  malloc_trim(0);
#endif
}

std::string AllocatorStatsReport() {
#ifdef MAGPIE_JEMALLOC
  std::string out;
  malloc_stats_print(
      [](void* opaque, const char* text) { static_cast<std::string*>(opaque)->append(text); },
      &out, nullptr);
  return out;
#else
  return "Stats not supported for the current allocator";
#endif
}

}  // namespace magpie
