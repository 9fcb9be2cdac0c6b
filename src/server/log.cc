#include "server/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace magpie {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kNotice)};
std::mutex g_mu;
FILE* g_file = nullptr;  // nullptr: stdout
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

bool SetLogFile(const std::string& path) {
  std::lock_guard<std::mutex> lk(g_mu);
  if (path.empty()) {
    if (g_file != nullptr) fclose(g_file);
    g_file = nullptr;
    return true;
  }
  FILE* f = fopen(path.c_str(), "a");
  if (f == nullptr) return false;
  if (g_file != nullptr) fclose(g_file);
  g_file = f;
  return true;
}

void Log(LogLevel level, const char* fmt, ...) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  localtime_r(&tv.tv_sec, &t);
  char when[64];
  size_t off = strftime(when, sizeof(when), "%d %b %Y %H:%M:%S.", &t);
  snprintf(when + off, sizeof(when) - off, "%03d", static_cast<int>(tv.tv_usec / 1000));
  static const char kMarks[] = ".-*#";
  std::lock_guard<std::mutex> lk(g_mu);
  FILE* out = g_file != nullptr ? g_file : stdout;
  fprintf(out, "%d:M %s %c %s\n", static_cast<int>(getpid()), when,
          kMarks[static_cast<int>(level)], msg);
  fflush(out);
}

}  // namespace magpie
