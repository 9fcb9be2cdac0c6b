// Prometheus exposition and the dashboard's JSON (see metrics.h).
//
// Every server-wide figure comes from the INFO text itself (InfoText, parsed
// back into fields), so /metrics, the dashboard and INFO can never disagree
// about what a number means; per-command figures come from the same worker
// counters and histograms INFO commandstats/latencystats merge.
#include "http/metrics.h"

#include <cinttypes>
#include <cstdio>
#include <map>

#include "commands/command.h"
#include "commands/observability.h"
#include "common/util.h"
#include "http/dashboard_html.h"
#include "server/latency.h"
#include "server/server.h"
#include "server/worker.h"

namespace magpie {

namespace {

using Fields = std::map<std::string, std::string, std::less<>>;

struct DbLine {
  int db = 0;
  uint64_t keys = 0, expires = 0;
};

struct Snapshot {
  Fields info;
  std::vector<DbLine> dbs;
  std::map<std::string, uint64_t> errors;  // errorstat_<code>
};

Snapshot TakeSnapshot(Server& s) {
  Snapshot snap;
  std::string text = InfoText(
      s, {"server", "clients", "memory", "stats", "cpu", "errorstats", "keyspace"}, NowMs());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find("\r\n", pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 2;
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key(line.substr(0, colon));
    std::string value(line.substr(colon + 1));
    if (key.rfind("db", 0) == 0 && value.rfind("keys=", 0) == 0) {
      DbLine d;
      d.db = static_cast<int>(ParseInt64(key.substr(2)).value_or(0));
      unsigned long long keys = 0, expires = 0;
      sscanf(value.c_str(), "keys=%llu,expires=%llu", &keys, &expires);
      d.keys = keys;
      d.expires = expires;
      snap.dbs.push_back(d);
    } else if (key.rfind("errorstat_", 0) == 0 && value.rfind("count=", 0) == 0) {
      snap.errors[key.substr(10)] = ParseInt64(value.substr(6)).value_or(0);
    } else {
      snap.info[key] = value;
    }
  }
  return snap;
}

double Num(const Fields& f, std::string_view key) {
  auto it = f.find(key);
  if (it == f.end()) return 0;
  return ParseDouble(it->second).value_or(0);
}

double HitRatio(const Fields& f) {
  double hits = Num(f, "keyspace_hits"), misses = Num(f, "keyspace_misses");
  return hits + misses > 0 ? hits / (hits + misses) : 0;
}

// Prometheus label values escape backslash, quote and newline.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string Number(double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<int64_t>(v)) && v < 1e15 && v > -1e15) {
    snprintf(buf, sizeof(buf), "%" PRId64, static_cast<int64_t>(v));
  } else {
    snprintf(buf, sizeof(buf), "%.9g", v);
  }
  return buf;
}

class Exposition {
 public:
  void Family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void Sample(std::string_view name, const std::string& labels, double v) {
    out_ += name;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += ' ';
    out_ += Number(v);
    out_ += '\n';
  }
  void Single(const char* name, const char* type, const char* help, double v) {
    Family(name, type, help);
    Sample(name, "", v);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

struct CommandFigures {
  const CommandSpec* spec = nullptr;
  uint64_t calls = 0, usec = 0, failed = 0, rejected = 0;
  double rate = 0;
  HistogramSnapshot hist;
};

std::vector<CommandFigures> GatherCommands(Server& s, const std::vector<double>& rates) {
  std::vector<CommandFigures> out;
  const auto& specs = s.commands().by_id();
  for (size_t id = 0; id < specs.size(); ++id) {
    CommandFigures f;
    f.spec = specs[id];
    for (int i = 0; i < s.num_workers(); ++i) {
      const CommandStats& cs = s.worker(i).command_stats()[id];
      f.calls += cs.calls.Get();
      f.usec += cs.usec.Get();
      f.failed += cs.failed_calls.Get();
      f.rejected += cs.rejected_calls.Get();
    }
    if (f.calls == 0 && f.failed == 0 && f.rejected == 0) continue;
    f.rate = id < rates.size() ? rates[id] : 0;
    f.hist = CommandHistogram(s, static_cast<int>(id));
    out.push_back(std::move(f));
  }
  return out;
}

// Histogram buckets of /metrics: 1 µs to 2^24 µs (16.8 s), powers of two.
constexpr int kPromBuckets = 25;

}  // namespace

std::string PrometheusMetrics(Server& s, const std::vector<double>& rates) {
  Snapshot snap = TakeSnapshot(s);
  const Fields& f = snap.info;
  Exposition e;
  e.Family("magpie_build_info", "gauge", "Versions of this server (value always 1).");
  e.Sample("magpie_build_info",
           "version=\"" + LabelValue(f.count("magpie_version") ? f.at("magpie_version") : "") +
               "\",redis_version=\"" +
               LabelValue(f.count("redis_version") ? f.at("redis_version") : "") + "\"",
           1);
  e.Single("magpie_uptime_seconds", "gauge", "Seconds since the server started.",
           Num(f, "uptime_in_seconds"));
  e.Single("magpie_connected_clients", "gauge", "Client connections open (RESP).",
           Num(f, "connected_clients"));
  e.Single("magpie_blocked_clients", "gauge", "Clients waiting in a blocking command.",
           Num(f, "blocked_clients"));
  e.Single("magpie_max_clients", "gauge", "The maxclients setting.", Num(f, "maxclients"));
  e.Single("magpie_memory_used_bytes", "gauge", "Bytes allocated (INFO used_memory).",
           Num(f, "used_memory"));
  e.Single("magpie_memory_rss_bytes", "gauge", "Resident set size (INFO used_memory_rss).",
           Num(f, "used_memory_rss"));
  e.Single("magpie_memory_peak_bytes", "gauge", "Peak of used_memory.", Num(f, "used_memory_peak"));
  e.Single("magpie_memory_max_bytes", "gauge", "The maxmemory setting (0: no limit).",
           Num(f, "maxmemory"));
  e.Single("magpie_commands_processed_total", "counter", "Commands received.",
           Num(f, "total_commands_processed"));
  e.Single("magpie_instantaneous_ops", "gauge",
           "Commands per second over the last 1.6 s (INFO instantaneous_ops_per_sec).",
           Num(f, "instantaneous_ops_per_sec"));
  e.Single("magpie_connections_received_total", "counter", "Connections accepted.",
           Num(f, "total_connections_received"));
  e.Single("magpie_rejected_connections_total", "counter",
           "Connections refused (maxclients, protected mode).", Num(f, "rejected_connections"));
  e.Single("magpie_keyspace_hits_total", "counter", "Key lookups that found the key.",
           Num(f, "keyspace_hits"));
  e.Single("magpie_keyspace_misses_total", "counter", "Key lookups that did not find the key.",
           Num(f, "keyspace_misses"));
  e.Single("magpie_keyspace_hit_ratio", "gauge", "keyspace_hits / (keyspace_hits + misses).",
           HitRatio(f));
  e.Single("magpie_evicted_keys_total", "counter", "Keys evicted by maxmemory.",
           Num(f, "evicted_keys"));
  e.Single("magpie_expired_keys_total", "counter", "Keys deleted because their TTL passed.",
           Num(f, "expired_keys"));
  e.Single("magpie_net_input_bytes_total", "counter", "Bytes read from clients.",
           Num(f, "total_net_input_bytes"));
  e.Single("magpie_net_output_bytes_total", "counter", "Bytes written to clients.",
           Num(f, "total_net_output_bytes"));
  e.Single("magpie_error_replies_total", "counter", "Error replies sent.",
           Num(f, "total_error_replies"));
  e.Single("magpie_cpu_system_seconds_total", "counter", "System CPU time of the process.",
           Num(f, "used_cpu_sys"));
  e.Single("magpie_cpu_user_seconds_total", "counter", "User CPU time of the process.",
           Num(f, "used_cpu_user"));
  e.Single("magpie_slowlog_entries", "gauge", "Entries in the slow log (SLOWLOG LEN).",
           static_cast<double>(SlowlogLen()));

  e.Family("magpie_db_keys", "gauge", "Keys per database.");
  for (const DbLine& d : snap.dbs) {
    e.Sample("magpie_db_keys", "db=\"" + std::to_string(d.db) + "\"", static_cast<double>(d.keys));
  }
  e.Family("magpie_db_expiring_keys", "gauge", "Keys with a TTL per database.");
  for (const DbLine& d : snap.dbs) {
    e.Sample("magpie_db_expiring_keys", "db=\"" + std::to_string(d.db) + "\"",
             static_cast<double>(d.expires));
  }
  e.Family("magpie_errors_total", "counter", "Error replies by error code (INFO errorstats).");
  for (const auto& [code, n] : snap.errors) {
    e.Sample("magpie_errors_total", "error=\"" + LabelValue(code) + "\"", static_cast<double>(n));
  }

  std::vector<CommandFigures> cmds = GatherCommands(s, rates);
  auto label = [](const CommandFigures& c) { return "cmd=\"" + LabelValue(c.spec->name) + "\""; };
  e.Family("magpie_commands_total", "counter", "Calls per command (INFO commandstats calls).");
  for (const auto& c : cmds)
    e.Sample("magpie_commands_total", label(c), static_cast<double>(c.calls));
  e.Family("magpie_command_ops", "gauge", "Calls per second per command over the last second.");
  for (const auto& c : cmds) e.Sample("magpie_command_ops", label(c), c.rate);
  e.Family("magpie_command_failed_calls_total", "counter", "Calls that replied an error.");
  for (const auto& c : cmds) {
    e.Sample("magpie_command_failed_calls_total", label(c), static_cast<double>(c.failed));
  }
  e.Family("magpie_command_rejected_calls_total", "counter",
           "Calls refused before running (arity, auth, OOM, ...).");
  for (const auto& c : cmds) {
    e.Sample("magpie_command_rejected_calls_total", label(c), static_cast<double>(c.rejected));
  }
  e.Family("magpie_command_duration_seconds", "histogram",
           "Time spent running each command (latency-tracking).");
  for (const auto& c : cmds) {
    if (c.hist.total == 0) continue;
    std::string l = label(c);
    for (int k = 0; k < kPromBuckets; ++k) {
      char le[32];
      snprintf(le, sizeof(le), "%.6f", static_cast<double>(uint64_t{1} << k) / 1e6);
      e.Sample("magpie_command_duration_seconds_bucket", l + ",le=\"" + le + "\"",
               static_cast<double>(c.hist.CountAtMost(uint64_t{1} << k)));
    }
    e.Sample("magpie_command_duration_seconds_bucket", l + ",le=\"+Inf\"",
             static_cast<double>(c.hist.total));
    e.Sample("magpie_command_duration_seconds_sum", l, static_cast<double>(c.usec) / 1e6);
    e.Sample("magpie_command_duration_seconds_count", l, static_cast<double>(c.hist.total));
  }
  return e.Take();
}

namespace {

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch >= 0x7f) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

}  // namespace

std::string DashboardJson(Server& s, const std::vector<double>& rates) {
  Snapshot snap = TakeSnapshot(s);
  std::string out = "{\"time_ms\":" + std::to_string(NowMs()) + ",\"info\":{";
  bool first = true;
  for (const auto& [k, v] : snap.info) {
    if (!first) out += ',';
    first = false;
    out += JsonString(k) + ":" + JsonString(v);
  }
  out += "},\"hit_ratio\":" + Number(HitRatio(snap.info)) + ",\"dbs\":[";
  for (size_t i = 0; i < snap.dbs.size(); ++i) {
    const DbLine& d = snap.dbs[i];
    out += (i ? "," : "") + std::string("{\"db\":") + std::to_string(d.db) +
           ",\"keys\":" + std::to_string(d.keys) + ",\"expires\":" + std::to_string(d.expires) +
           "}";
  }
  out += "],\"commands\":[";
  std::vector<CommandFigures> cmds = GatherCommands(s, rates);
  for (size_t i = 0; i < cmds.size(); ++i) {
    const CommandFigures& c = cmds[i];
    out += (i ? "," : "") + std::string("{\"name\":") + JsonString(c.spec->name) +
           ",\"calls\":" + std::to_string(c.calls) + ",\"ops\":" + Number(c.rate) +
           ",\"usec_per_call\":" +
           Number(c.calls ? static_cast<double>(c.usec) / static_cast<double>(c.calls) : 0) +
           ",\"p50\":" + std::to_string(c.hist.Percentile(50)) +
           ",\"p99\":" + std::to_string(c.hist.Percentile(99)) +
           ",\"p999\":" + std::to_string(c.hist.Percentile(99.9)) + "}";
  }
  out += "],\"slowlog_len\":" + std::to_string(SlowlogLen()) + ",\"slowlog\":[";
  std::vector<SlowlogEntry> slow = SlowlogGet(10);
  for (size_t i = 0; i < slow.size(); ++i) {
    const SlowlogEntry& e = slow[i];
    std::string line;
    for (const std::string& a : e.args) line += (line.empty() ? "" : " ") + a;
    out += (i ? "," : "") + std::string("{\"id\":") + std::to_string(e.id) +
           ",\"time\":" + std::to_string(e.time_sec) +
           ",\"duration_us\":" + std::to_string(e.duration_us) +
           ",\"command\":" + JsonString(line.substr(0, 200)) + "}";
  }
  out += "]}";
  return out;
}

const std::string& DashboardHtml() {
  static const std::string page(kDashboardHtml);
  return page;
}

}  // namespace magpie
