// Observability commands: SLOWLOG and LATENCY, and INFO latencystats.
//
// The data lives in server/latency.h (per-thread slow-log rings, the latency
// monitor, per-worker command histograms); these handlers only merge and
// format it with Redis 7.0's replies. Histogram buckets are powers of two
// of microseconds, where Redis's HdrHistogram prints 1.024 x 2^k.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "commands/command.h"
#include "commands/helpers.h"
#include "commands/observability.h"
#include "server/latency.h"
#include "server/server.h"
#include "server/worker.h"

namespace magpie {

HistogramSnapshot CommandHistogram(Server& s, int id) {
  HistogramSnapshot snap;
  for (int i = 0; i < s.num_workers(); ++i) {
    const CommandStats& cs = s.worker(i).command_stats()[static_cast<size_t>(id)];
    if (const LatencyHistogram* h = cs.hist.load(std::memory_order_acquire)) snap.Add(*h);
  }
  return snap;
}

namespace {

// Redis's "%.3f" of a value in microseconds.
std::string Usec3(uint64_t us) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(us));
  return buf;
}

std::string PercentileLabel(double p) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%f", p);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

void InfoLatencyStats(Server& s, std::string& out) {
  out += "# Latencystats\r\n";
  std::vector<double> percentiles = TrackingPercentiles();
  const auto& specs = s.commands().by_id();
  for (size_t id = 0; id < specs.size(); ++id) {
    HistogramSnapshot h = CommandHistogram(s, static_cast<int>(id));
    if (h.total == 0) continue;
    out += "latency_percentiles_usec_" + specs[id]->name + ":";
    for (size_t j = 0; j < percentiles.size(); ++j) {
      if (j > 0) out += ',';
      out += "p" + PercentileLabel(percentiles[j]) + "=" + Usec3(h.Percentile(percentiles[j]));
    }
    out += "\r\n";
  }
}

namespace {

// --- SLOWLOG ---------------------------------------------------------------------

void SlowlogGetCmd(CommandContext& c) {
  int64_t count = 10;
  if (c.argc() == 3) {
    auto v = ParseInt64(c.arg(2));
    if (!v || *v < -1) return c.reply.Error("ERR count should be greater than or equal to -1");
    count = *v;
  } else if (c.argc() > 3) {
    return c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                         std::string(c.arg(1)) + "'. Try SLOWLOG HELP.");
  }
  std::vector<SlowlogEntry> entries = SlowlogGet(count);
  c.reply.ArrayHeader(entries.size());
  for (const SlowlogEntry& e : entries) {
    c.reply.ArrayHeader(6);
    c.reply.Int(static_cast<int64_t>(e.id));
    c.reply.Int(e.time_sec);
    c.reply.Int(e.duration_us);
    c.reply.ArrayHeader(e.args.size());
    for (const std::string& a : e.args) c.reply.Bulk(a);
    c.reply.Bulk(e.peer);
    c.reply.Bulk(e.client_name);
  }
}

void SlowlogLenCmd(CommandContext& c) { c.reply.Int(static_cast<int64_t>(SlowlogLen())); }

void SlowlogResetCmd(CommandContext& c) {
  SlowlogReset();
  c.reply.Ok();
}

void SlowlogHelp(CommandContext& c) {
  HelpLines(c, {"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET [<count>]",
                "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                "    Entries are made of:",
                "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                "    client name", "LEN", "    Return the length of the slowlog.", "RESET",
                "    Reset the slowlog.", "HELP", "    Prints this help."});
}

// --- LATENCY ---------------------------------------------------------------------

void LatencyLatest(CommandContext& c) {
  std::vector<LatencyEvent> events = LatencyEvents();
  c.reply.ArrayHeader(events.size());
  for (const LatencyEvent& e : events) {
    c.reply.ArrayHeader(4);
    c.reply.Bulk(e.name);
    c.reply.Int(e.samples.back().time_sec);
    c.reply.Int(e.samples.back().latency_ms);
    c.reply.Int(e.max_ms);
  }
}

const LatencyEvent* FindEvent(const std::vector<LatencyEvent>& events, std::string_view name) {
  for (const LatencyEvent& e : events) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

void LatencyHistory(CommandContext& c) {
  std::vector<LatencyEvent> events = LatencyEvents();
  const LatencyEvent* e = FindEvent(events, c.arg(2));
  if (e == nullptr) return c.reply.ArrayHeader(0);
  c.reply.ArrayHeader(e->samples.size());
  for (const LatencySample& s : e->samples) {
    c.reply.ArrayHeader(2);
    c.reply.Int(s.time_sec);
    c.reply.Int(s.latency_ms);
  }
}

void LatencyResetCmd(CommandContext& c) {
  std::vector<std::string> names;
  for (size_t i = 2; i < c.argc(); ++i) names.emplace_back(c.arg(i));
  c.reply.Int(LatencyReset(names));
}

// Redis's sparkline: 4 rows of "_o#" steps ('|' below a full step), then a
// blank line and each sample's age label written vertically; 80 columns per
// block.
std::string Sparkline(const std::vector<int64_t>& values, const std::vector<std::string>& labels) {
  static constexpr char kFill[] = "_o#";
  constexpr int kCharset = 3, kRows = 4, kColumns = 80;
  int64_t lo = *std::min_element(values.begin(), values.end());
  int64_t hi = *std::max_element(values.begin(), values.end());
  double relmax = hi - lo == 0 ? 1 : static_cast<double>(hi - lo);
  constexpr int kSteps = kCharset * kRows;
  std::string out;
  for (size_t start = 0; start < values.size(); start += kColumns) {
    size_t len = std::min<size_t>(kColumns, values.size() - start);
    if (start != 0) out += '\n';
    for (int row = 0;; ++row) {
      std::string line(len, ' ');
      bool any = false;
      for (size_t j = 0; j < len; ++j) {
        size_t k = start + j;
        if (row < kRows) {
          any = true;
          int step = static_cast<int>(static_cast<double>(values[k] - lo) * kSteps / relmax);
          step = std::clamp(step, 0, kSteps - 1);
          int idx = step - (kRows - row - 1) * kCharset;
          if (idx >= 0 && idx < kCharset) {
            line[j] = kFill[idx];
          } else if (idx >= kCharset) {
            line[j] = '|';
          }
        } else if (row == kRows) {
          any = true;  // the margin above the labels
        } else if (labels[k].size() > static_cast<size_t>(row - kRows - 1)) {
          any = true;
          line[j] = labels[k][static_cast<size_t>(row - kRows - 1)];
        }
      }
      if (!any) break;
      out += line + "\n";
    }
  }
  return out;
}

std::string AgeLabel(int64_t elapsed) {
  if (elapsed < 60) return std::to_string(elapsed) + "s";
  if (elapsed < 3600) return std::to_string(elapsed / 60) + "m";
  if (elapsed < 86400) return std::to_string(elapsed / 3600) + "h";
  return std::to_string(elapsed / 86400) + "d";
}

void LatencyGraph(CommandContext& c) {
  std::vector<LatencyEvent> events = LatencyEvents();
  const LatencyEvent* e = FindEvent(events, c.arg(2));
  if (e == nullptr) {
    return c.reply.Error("ERR No samples available for event '" + std::string(c.arg(2)) + "'");
  }
  std::vector<int64_t> values;
  std::vector<std::string> labels;
  int64_t now = c.now_ms / 1000;
  for (const LatencySample& s : e->samples) {
    values.push_back(s.latency_ms);
    labels.push_back(AgeLabel(now - s.time_sec));
  }
  std::string graph = e->name + " - high " +
                      std::to_string(*std::max_element(values.begin(), values.end())) +
                      " ms, low " + std::to_string(*std::min_element(values.begin(), values.end())) +
                      " ms (all time high " + std::to_string(e->max_ms) + " ms)\n" +
                      std::string(80, '-') + "\n" + Sparkline(values, labels);
  c.reply.Verbatim(graph);
}

void LatencyDoctor(CommandContext& c) {
  std::vector<LatencyEvent> events = LatencyEvents();
  if (events.empty()) {
    return c.reply.Verbatim(
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in "
        "the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, "
        "and think things over.\n");
  }
  std::string out =
      "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
      "about it, do you Dave?\n\n";
  int n = 0;
  bool commands = false;
  for (const LatencyEvent& e : events) {
    double sum = 0;
    for (const LatencySample& s : e.samples) sum += static_cast<double>(s.latency_ms);
    double avg = sum / static_cast<double>(e.samples.size());
    double dev = 0;
    for (const LatencySample& s : e.samples) dev += std::fabs(static_cast<double>(s.latency_ms) - avg);
    dev /= static_cast<double>(e.samples.size());
    // Seconds since the oldest sample (at least 1) per sample, as Redis.
    int64_t span = std::max<int64_t>(1, c.now_ms / 1000 - e.samples.front().time_sec);
    double period = static_cast<double>(span) / static_cast<double>(e.samples.size());
    char buf[512];
    snprintf(buf, sizeof(buf),
             "%d. %s: %zu latency spikes (average %.0fms, mean deviation %.0fms, period %.2f "
             "sec). Worst all time event %lldms.\n",
             ++n, e.name.c_str(), e.samples.size(), avg, dev, period,
             static_cast<long long>(e.max_ms));
    out += buf;
    commands |= e.name == "command" || e.name == "fast-command";
  }
  out += "\nI have a few advices for you:\n\n";
  if (commands) {
    out +=
        "- Check your Slow Log to understand what are the commands you are running which are too "
        "slow to execute. Please check https://redis.io/commands/slowlog for more information.\n"
        "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a "
        "blocking operation. If you have very large objects that are often deleted, expired, or "
        "evicted, try to fragment those objects into multiple smaller objects.\n";
  }
  c.reply.Verbatim(out);
}

void ReplyHistogram(ReplyBuilder& r, const HistogramSnapshot& h) {
  r.MapHeader(2);
  r.Bulk("calls");
  r.Int(static_cast<int64_t>(h.total));
  r.Bulk("histogram_usec");
  std::vector<std::pair<uint64_t, uint64_t>> rows;
  uint64_t previous = 0;
  for (int k = 0; k <= LatencyHistogram::kMaxExp + 1 && previous < h.total; ++k) {
    uint64_t limit = uint64_t{1} << k;
    uint64_t n = h.CountAtMost(limit);
    if (n > previous) rows.emplace_back(limit, n);
    previous = n;
  }
  r.MapHeader(rows.size());
  for (const auto& [limit, n] : rows) {
    r.Int(static_cast<int64_t>(limit));
    r.Int(static_cast<int64_t>(n));
  }
}

void LatencyHistogramCmd(CommandContext& c) {
  const auto& specs = c.server.commands().by_id();
  std::vector<std::pair<std::string, HistogramSnapshot>> found;
  auto add = [&](const CommandSpec& spec) {
    HistogramSnapshot h = CommandHistogram(c.server, spec.id);
    if (h.total > 0) found.emplace_back(spec.name, std::move(h));
  };
  if (c.argc() == 2) {
    for (const CommandSpec* spec : specs) add(*spec);
  } else {
    for (size_t i = 2; i < c.argc(); ++i) {
      std::string name = ToLower(c.arg(i));
      for (const CommandSpec* spec : specs) {
        if (spec->name == name) {
          add(*spec);
          break;
        }
      }
    }
  }
  c.reply.MapHeader(found.size());
  for (const auto& [name, h] : found) {
    c.reply.Bulk(name);
    ReplyHistogram(c.reply, h);
  }
}

void LatencyHelp(CommandContext& c) {
  HelpLines(c, {"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "DOCTOR",
                "    Return a human readable latency analysis report.", "GRAPH <event>",
                "    Return an ASCII latency graph for the <event> class.", "HISTORY <event>",
                "    Return time-latency samples for the <event> class.", "LATEST",
                "    Return the latest latency samples for all events.", "RESET [<event> ...]",
                "    Reset latency data of one or more <event> classes.",
                "    (default: reset all data for all event classes)", "HISTOGRAM [COMMAND ...]",
                "    Return a cumulative distribution of latencies in the format of a histogram "
                "for the specified command names.",
                "    If no commands are specified then all histograms are replied.", "HELP",
                "    Prints this help."});
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, const char* since,
                const char* summary, CommandHandler h) {
  return MakeCommand(name, arity, flags, {}, "", "server", since, summary, h);
}

}  // namespace

void RegisterObservabilityFamily(CommandRegistry& r) {
  constexpr uint32_t kLS = kCmdLoading | kCmdStale;
  constexpr uint32_t kAdmin = kCmdAdmin | kLS;
  constexpr uint32_t kLatencyAdmin = kAdmin | kCmdNoScript;
  CommandSpec& slowlog = r.Add(Cmd("slowlog", -2, 0, "2.2.12", "A container for slow log commands.", nullptr));
  r.AddSub(slowlog, Cmd("get", -2, kAdmin, "2.2.12", "Returns the slow log's entries.", SlowlogGetCmd));
  r.AddSub(slowlog, Cmd("len", 2, kAdmin, "2.2.12", "Returns the number of entries in the slow log.", SlowlogLenCmd));
  r.AddSub(slowlog, Cmd("reset", 2, kAdmin, "2.2.12", "Clears all entries from the slow log.", SlowlogResetCmd));
  r.AddSub(slowlog, Cmd("help", 2, kLS, "6.2.0", "Show helpful text about the different subcommands", SlowlogHelp));

  CommandSpec& latency = r.Add(Cmd("latency", -2, 0, "2.8.13", "A container for latency diagnostics commands.", nullptr));
  r.AddSub(latency, Cmd("doctor", 2, kLatencyAdmin, "2.8.13", "Returns a human-readable latency analysis report.", LatencyDoctor));
  r.AddSub(latency, Cmd("graph", 3, kLatencyAdmin, "2.8.13", "Returns a latency graph for an event.", LatencyGraph));
  r.AddSub(latency, Cmd("history", 3, kLatencyAdmin, "2.8.13", "Returns timestamp-latency samples for an event.", LatencyHistory));
  r.AddSub(latency, Cmd("latest", 2, kLatencyAdmin, "2.8.13", "Returns the latest latency samples for all events.", LatencyLatest));
  r.AddSub(latency, Cmd("reset", -2, kLatencyAdmin, "2.8.13", "Resets the latency data for one or more events.", LatencyResetCmd));
  r.AddSub(latency, Cmd("histogram", -2, kLatencyAdmin, "7.0.0", "Returns the cumulative distribution of latencies of a subset or all commands.", LatencyHistogramCmd));
  r.AddSub(latency, Cmd("help", 2, kLS, "2.8.13", "Returns helpful text about the different subcommands.", LatencyHelp));
}

}  // namespace magpie
