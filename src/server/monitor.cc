#include "server/monitor.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

#include "commands/command.h"
#include "common/util.h"
#include "pubsub/pubsub.h"

namespace magpie {

std::atomic<int> g_monitors{0};

namespace {

struct Monitors {
  std::mutex mu;
  std::vector<std::pair<uint64_t, Worker*>> list;
};

Monitors& Mon() {
  static Monitors* m = new Monitors();  // never destroyed: workers may outlive statics
  return *m;
}

}  // namespace

bool IsRedactedArgument(const CommandSpec& top, const std::vector<std::string_view>& args,
                        size_t i) {
  if (top.name == "auth") return i >= 1;
  if (top.name == "config") {
    // CONFIG SET name value ...: the values of the sensitive directives.
    return i >= 3 && i % 2 == 1 && args.size() > 1 && EqualsIgnoreCase(args[1], "set") &&
           (EqualsIgnoreCase(args[i - 1], "requirepass") ||
            EqualsIgnoreCase(args[i - 1], "masterauth"));
  }
  if (top.name != "hello") return false;
  for (size_t j = 2; j < i; ++j) {
    if (EqualsIgnoreCase(args[j], "auth") && i <= j + 2) return true;  // username, password
  }
  return false;
}

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char ch : s) {
    switch (ch) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\a': out->append("\\a"); break;
      case '\b': out->append("\\b"); break;
      default:
        if (ch >= 32 && ch < 127) {
          out->push_back(static_cast<char>(ch));
        } else {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\x%02x", ch);
          out->append(buf);
        }
    }
  }
  out->push_back('"');
}

void AddMonitor(uint64_t client_id, Worker* w) {
  Monitors& m = Mon();
  std::lock_guard<std::mutex> lk(m.mu);
  m.list.emplace_back(client_id, w);
  g_monitors.store(static_cast<int>(m.list.size()), std::memory_order_relaxed);
}

void RemoveMonitor(uint64_t client_id) {
  Monitors& m = Mon();
  std::lock_guard<std::mutex> lk(m.mu);
  m.list.erase(std::remove_if(m.list.begin(), m.list.end(),
                              [&](const auto& p) { return p.first == client_id; }),
               m.list.end());
  g_monitors.store(static_cast<int>(m.list.size()), std::memory_order_relaxed);
}

size_t MonitorCount() {
  Monitors& m = Mon();
  std::lock_guard<std::mutex> lk(m.mu);
  return m.list.size();
}

void FeedMonitorsSlow(const CommandSpec& spec, const std::vector<std::string_view>& args, int db,
                      std::string_view addr, bool script_call) {
  const CommandSpec& top = spec.parent != nullptr ? *spec.parent : spec;
  uint32_t skip = script_call ? kCmdAdmin : (kCmdAdmin | kCmdSkipMonitor);
  if ((spec.flags | top.flags) & skip) return;
  timeval tv;
  gettimeofday(&tv, nullptr);
  char head[64];
  snprintf(head, sizeof(head), "+%ld.%06ld [%d ", static_cast<long>(tv.tv_sec),
           static_cast<long>(tv.tv_usec), db);
  std::string line = head;
  line.append(addr);
  line.push_back(']');
  for (size_t i = 0; i < args.size(); ++i) {
    line.push_back(' ');
    AppendQuoted(&line, IsRedactedArgument(top, args, i) ? std::string_view("(redacted)") : args[i]);
  }
  line.append("\r\n");
  Monitors& m = Mon();
  std::lock_guard<std::mutex> lk(m.mu);
  for (const auto& [id, w] : m.list) DeliverTo(w, id, line);
}

}  // namespace magpie
