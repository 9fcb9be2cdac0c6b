// MONITOR: clients that see every command the server runs.
//
// Each command, after it ran (so EXEC's queued commands come before
// "exec"), is formatted once as Redis's line
//   +<unix seconds>.<micros> [<db> <client addr>] "arg" "arg" ...
// and delivered to every monitor through the pubsub delivery path
// (pubsub/pubsub.h), so monitors on other workers get the lines of each
// worker in order. Admin commands are not shown and AUTH/HELLO passwords
// are redacted, as in Redis. Cost with no monitor: one relaxed load.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

namespace magpie {

class Worker;
struct CommandSpec;

void AddMonitor(uint64_t client_id, Worker* w);
void RemoveMonitor(uint64_t client_id);
size_t MonitorCount();

extern std::atomic<int> g_monitors;
// `script_call`: the line of a script (EVAL, FCALL ...) itself, which Redis
// shows before the commands it runs although the command is skip_monitor.
void FeedMonitorsSlow(const CommandSpec& spec, const std::vector<std::string_view>& args, int db,
                      std::string_view addr, bool script_call = false);
inline void FeedMonitors(const CommandSpec& spec, const std::vector<std::string_view>& args,
                         int db, std::string_view addr, bool script_call = false) {
  if (g_monitors.load(std::memory_order_relaxed) > 0) {
    FeedMonitorsSlow(spec, args, db, addr, script_call);
  }
}

// Whether argument i is a secret that MONITOR and SLOWLOG show as
// "(redacted)": AUTH's, HELLO's AUTH pair, CONFIG SET requirepass/masterauth.
// `top` is the command (the container of a subcommand).
bool IsRedactedArgument(const CommandSpec& top, const std::vector<std::string_view>& args,
                        size_t i);

// Redis's quoting of one argument in a MONITOR line (sdscatrepr).
void AppendQuoted(std::string* out, std::string_view s);

}  // namespace magpie
