#include "server/config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "common/util.h"
#include "protocol/resp_parser.h"
#include "pubsub/notify.h"
#include "server/latency.h"
#include "server/log.h"
#include "store/evict.h"

namespace magpie {

namespace {

using Args = std::vector<std::string>;
// A setter validates and stores; it returns "" or the reason for refusal.
using Setter = std::function<std::string(Config&, const Args&)>;
using Getter = std::function<std::string(const Config&)>;

struct Directive {
  std::string name;
  std::string alias;
  bool mutable_at_runtime;
  bool multi_arg;  // takes several words (bind, save, client-output-buffer-limit)
  Setter set;
  Getter get;
  std::string default_value;  // for directives stored outside Config ("" = read a fresh Config)
};

std::string RangeError(int64_t lo, int64_t hi) {
  return "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
         " inclusive";
}

// An integer directive over any atomic: a Config field or a store setting.
Directive AtomicIntDirective(const char* name, std::function<std::atomic<int64_t>&(Config&)> field,
                             int64_t lo, int64_t hi, bool mut, bool memory = false) {
  Directive d;
  d.name = name;
  d.mutable_at_runtime = mut;
  d.multi_arg = false;
  d.set = [=](Config& c, const Args& a) -> std::string {
    auto v = memory ? ParseMemory(a[0]) : ParseInt64(a[0]);
    if (!v || (memory && *v < 0)) {  // Redis reads memory values unsigned
      return memory ? "argument must be a memory value" : "argument couldn't be parsed into an integer";
    }
    if (*v < lo || *v > hi) return RangeError(lo, hi);
    field(c).store(*v);
    return "";
  };
  d.get = [=](const Config& c) { return std::to_string(field(const_cast<Config&>(c)).load()); };
  return d;
}

Directive IntDirective(const char* name, std::atomic<int64_t> Config::*field, int64_t lo,
                       int64_t hi, bool mut, bool memory = false) {
  return AtomicIntDirective(
      name, [field](Config& c) -> std::atomic<int64_t>& { return c.*field; }, lo, hi, mut, memory);
}

// The eviction settings live in the store (store/evict.h).
Directive EvictionDirective(const char* name, std::atomic<int64_t>* field, int64_t lo, int64_t hi,
                            bool memory = false) {
  Directive d = AtomicIntDirective(
      name, [field](Config&) -> std::atomic<int64_t>& { return *field; }, lo, hi, true, memory);
  d.default_value = std::to_string(field->load());  // built before any setting is applied
  return d;
}

Directive BoolDirective(const char* name, std::atomic<bool> Config::*field, bool mut) {
  Directive d;
  d.name = name;
  d.mutable_at_runtime = mut;
  d.multi_arg = false;
  d.set = [=](Config& c, const Args& a) -> std::string {
    if (EqualsIgnoreCase(a[0], "yes")) {
      (c.*field).store(true);
    } else if (EqualsIgnoreCase(a[0], "no")) {
      (c.*field).store(false);
    } else {
      return "argument must be 'yes' or 'no'";
    }
    return "";
  };
  d.get = [=](const Config& c) { return std::string((c.*field).load() ? "yes" : "no"); };
  return d;
}

Directive StringDirective(const char* name, std::string Config::*field, bool mut,
                          std::mutex Config::*mu) {
  Directive d;
  d.name = name;
  d.mutable_at_runtime = mut;
  d.multi_arg = false;
  d.set = [=](Config& c, const Args& a) -> std::string {
    std::lock_guard<std::mutex> lk(c.*mu);
    c.*field = a[0];
    return "";
  };
  d.get = [=](const Config& c) {
    std::lock_guard<std::mutex> lk(const_cast<Config&>(c).*mu);
    return c.*field;
  };
  return d;
}

// Words of a multi-word value given as one argument ("3600 1 300 100") or
// as several.
std::vector<std::string> SplitWords(const Args& a) {
  std::vector<std::string> words;
  for (const auto& arg : a) {
    std::vector<std::string> parts;
    SplitInlineArgs(arg, &parts);
    words.insert(words.end(), parts.begin(), parts.end());
  }
  return words;
}

// slowlog-*, latency-*, http-port: settings of server/latency.h.
void AddObservabilityDirectives(std::vector<Directive>& t) {
  ObservabilitySettings& o = g_observability;
  t.push_back(EvictionDirective("slowlog-log-slower-than", &o.slowlog_log_slower_than, -1, LLONG_MAX));
  t.push_back(EvictionDirective("slowlog-max-len", &o.slowlog_max_len, 0, LONG_MAX));
  t.push_back(EvictionDirective("latency-monitor-threshold", &o.latency_monitor_threshold, 0, LLONG_MAX));
  Directive http = AtomicIntDirective(
      "http-port", [](Config&) -> std::atomic<int64_t>& { return g_observability.http_port; }, 0,
      65535, false);
  http.default_value = std::to_string(o.http_port.load());
  t.push_back(http);
  Directive tracking;
  tracking.name = "latency-tracking";
  tracking.mutable_at_runtime = true;
  tracking.multi_arg = false;
  tracking.set = [](Config&, const Args& a) -> std::string {
    if (!EqualsIgnoreCase(a[0], "yes") && !EqualsIgnoreCase(a[0], "no")) {
      return "argument must be 'yes' or 'no'";
    }
    g_observability.latency_tracking.store(EqualsIgnoreCase(a[0], "yes"));
    return "";
  };
  tracking.get = [](const Config&) {
    return std::string(g_observability.latency_tracking.load() ? "yes" : "no");
  };
  tracking.default_value = "yes";
  t.push_back(tracking);
  Directive percentiles;
  percentiles.name = "latency-tracking-info-percentiles";
  percentiles.mutable_at_runtime = true;
  percentiles.multi_arg = true;
  percentiles.set = [](Config&, const Args& a) { return SetTrackingPercentiles(SplitWords(a)); };
  percentiles.get = [](const Config&) { return TrackingPercentilesString(); };
  percentiles.default_value = "50 99 99.9";
  t.push_back(percentiles);
}

const char* kLogLevels[] = {"debug", "verbose", "notice", "warning"};
const char* kClassNames[] = {"normal", "slave", "pubsub"};

}  // namespace

// Friend of Config: builds the directive table with access to private fields.
struct DirectiveTable {
  static const std::vector<Directive>& Get() {
    static const std::vector<Directive> table = Build();
    return table;
  }

  static std::vector<Directive> Build() {
    std::vector<Directive> t;
    t.push_back(IntDirective("port", &Config::port, 0, 65535, false));
    t.push_back(IntDirective("databases", &Config::databases, 1, INT_MAX, false));
    t.push_back(IntDirective("memcached-port", &Config::memcached_port, 0, 65535, false));
    t.push_back(IntDirective("memcached-max-item-size", &Config::memcached_max_item_size, 1024,
                             1024 * 1024 * 1024, true, true));
    t.push_back(IntDirective("maxclients", &Config::maxclients, 1, LONG_MAX, true));
    t.push_back(IntDirective("timeout", &Config::timeout, 0, INT_MAX, true));
    t.push_back(IntDirective("tcp-keepalive", &Config::tcp_keepalive, 0, INT_MAX, true));
    t.push_back(IntDirective("tcp-backlog", &Config::tcp_backlog, 0, INT_MAX, false));
    t.push_back(IntDirective("threads", &Config::threads, 1, 256, false));
    Directive hz = IntDirective("hz", &Config::hz, INT_MIN, INT_MAX, true);
    hz.set = [plain = hz.set](Config& c, const Args& a) -> std::string {
      std::string err = plain(c, a);
      if (err.empty()) c.hz.store(std::clamp<int64_t>(c.hz.load(), 1, 500));  // Redis clamps
      return err;
    };
    t.push_back(hz);
    // Entries store lengths in 32 bits: the ceiling is 4 GB - 1, not LONG_MAX.
    t.push_back(IntDirective("proto-max-bulk-len", &Config::proto_max_bulk_len, 1024 * 1024,
                             UINT32_MAX, true, true));
    t.push_back(IntDirective("client-query-buffer-limit", &Config::client_query_buffer_limit,
                             1024 * 1024, LONG_MAX, true, true));
    auto with_alias = [](Directive d, const char* alias) {
      d.alias = alias;
      return d;
    };
    t.push_back(with_alias(IntDirective("hash-max-listpack-entries",
                                        &Config::hash_max_listpack_entries, 0, LONG_MAX, true),
                           "hash-max-ziplist-entries"));
    t.push_back(with_alias(IntDirective("hash-max-listpack-value", &Config::hash_max_listpack_value,
                                        0, LONG_MAX, true, true),
                           "hash-max-ziplist-value"));
    t.push_back(IntDirective("set-max-intset-entries", &Config::set_max_intset_entries, 0,
                             LONG_MAX, true));
    t.push_back(IntDirective("set-max-listpack-entries", &Config::set_max_listpack_entries, 0,
                             LONG_MAX, true));
    t.push_back(IntDirective("set-max-listpack-value", &Config::set_max_listpack_value, 0,
                             LONG_MAX, true, true));
    t.push_back(with_alias(IntDirective("zset-max-listpack-entries",
                                        &Config::zset_max_listpack_entries, 0, LONG_MAX, true),
                           "zset-max-ziplist-entries"));
    t.push_back(with_alias(IntDirective("zset-max-listpack-value", &Config::zset_max_listpack_value,
                                        0, LONG_MAX, true, true),
                           "zset-max-ziplist-value"));
    t.push_back(with_alias(IntDirective("list-max-listpack-size", &Config::list_max_listpack_size,
                                        INT_MIN, INT_MAX, true),
                           "list-max-ziplist-size"));
    t.push_back(IntDirective("hll-sparse-max-bytes", &Config::hll_sparse_max_bytes, 0, LONG_MAX,
                             true, true));
    t.push_back(with_alias(IntDirective("busy-reply-threshold", &Config::busy_reply_threshold, 0,
                                        LONG_MAX, true),
                           "lua-time-limit"));
    t.push_back(BoolDirective("protected-mode", &Config::protected_mode, true));
    Directive daemonize = BoolDirective("daemonize", &Config::daemonize, false);
    daemonize.set = [plain = daemonize.set](Config& c, const Args& a) -> std::string {
      if (EqualsIgnoreCase(a[0], "yes")) return "daemonize yes is not supported: run under a supervisor";
      return plain(c, a);
    };
    t.push_back(daemonize);
    t.push_back(StringDirective("requirepass", &Config::requirepass_, true, &Config::mu_));
    t.push_back(StringDirective("logfile", &Config::logfile_, false, &Config::mu_));
    t.push_back(StringDirective("pidfile", &Config::pidfile_, false, &Config::mu_));

    t.push_back(BoolDirective("appendonly", &Config::appendonly, true));


    Directive loglevel;
    loglevel.name = "loglevel";
    loglevel.mutable_at_runtime = true;
    loglevel.multi_arg = false;
    loglevel.set = [](Config& c, const Args& a) -> std::string {
      for (int i = 0; i < 4; ++i) {
        if (EqualsIgnoreCase(a[0], kLogLevels[i])) {
          c.loglevel.store(i);
          return "";
        }
      }
      return "argument(s) must be one of the following: debug, verbose, notice, warning";
    };
    loglevel.get = [](const Config& c) { return std::string(kLogLevels[c.loglevel.load()]); };
    t.push_back(loglevel);

    Directive debug;
    debug.name = "enable-debug-command";
    debug.mutable_at_runtime = false;
    debug.multi_arg = false;
    debug.set = [](Config& c, const Args& a) -> std::string {
      static const char* kValues[] = {"no", "yes", "local"};
      for (int i = 0; i < 3; ++i) {
        if (EqualsIgnoreCase(a[0], kValues[i])) {
          c.enable_debug_command.store(i);
          return "";
        }
      }
      return "argument(s) must be one of the following: no, yes, local";
    };
    debug.get = [](const Config& c) {
      static const char* kValues[] = {"no", "yes", "local"};
      return std::string(kValues[c.enable_debug_command.load()]);
    };
    t.push_back(debug);

    Directive sanitize;
    sanitize.name = "sanitize-dump-payload";
    sanitize.mutable_at_runtime = true;
    sanitize.multi_arg = false;
    sanitize.set = [](Config& c, const Args& a) -> std::string {
      static const char* kValues[] = {"no", "yes", "clients"};
      for (int i = 0; i < 3; ++i) {
        if (EqualsIgnoreCase(a[0], kValues[i])) {
          c.sanitize_dump_payload.store(i);
          return "";
        }
      }
      return "argument(s) must be one of the following: no, yes, clients";
    };
    sanitize.get = [](const Config& c) {
      static const char* kValues[] = {"no", "yes", "clients"};
      return std::string(kValues[c.sanitize_dump_payload.load()]);
    };
    t.push_back(sanitize);

    Directive dir;
    dir.name = "dir";
    dir.mutable_at_runtime = true;
    dir.multi_arg = false;
    dir.set = [](Config&, const Args& a) -> std::string {
      if (chdir(a[0].c_str()) != 0) return strerror(errno);
      return "";
    };
    dir.get = [](const Config&) {
      char buf[4096];
      return std::string(getcwd(buf, sizeof(buf)) ? buf : "");
    };
    t.push_back(dir);

    Directive bind;
    bind.name = "bind";
    bind.mutable_at_runtime = false;
    bind.multi_arg = true;
    bind.set = [](Config& c, const Args& a) -> std::string {
      std::vector<std::string> words = SplitWords(a);
      if (words.empty()) return "wrong number of arguments";
      if (words.size() > 16) return "Too many bind addresses specified.";
      std::lock_guard<std::mutex> lk(c.mu_);
      c.bind_ = words;
      return "";
    };
    bind.get = [](const Config& c) {
      std::lock_guard<std::mutex> lk(c.mu_);
      std::string out;
      for (const auto& b : c.bind_) out += (out.empty() ? "" : " ") + b;
      return out;
    };
    t.push_back(bind);

    Directive save;
    save.name = "save";
    save.mutable_at_runtime = true;
    save.multi_arg = true;
    save.set = [](Config& c, const Args& a) -> std::string {
      std::vector<std::string> words = SplitWords(a);
      if (words.size() % 2 != 0) return "Invalid save parameters";
      for (const auto& w : words) {
        auto v = ParseInt64(w);
        if (!v || *v < 0) return "Invalid save parameters";
      }
      std::string joined;
      for (const auto& w : words) joined += (joined.empty() ? "" : " ") + w;
      std::lock_guard<std::mutex> lk(c.mu_);
      c.save_ = joined;
      return "";
    };
    save.get = [](const Config& c) {
      std::lock_guard<std::mutex> lk(c.mu_);
      return c.save_;
    };
    t.push_back(save);

    // A file name, never a path (Redis refuses both at startup and at run time).
    auto file_name = [](const char* name, std::string Config::*field, bool mut) {
      Directive d = StringDirective(name, field, mut, &Config::mu_);
      d.set = [field, name = std::string(name)](Config& c, const Args& a) -> std::string {
        if (a[0].find('/') != std::string::npos) {
          return name == "dbfilename" ? "dbfilename can't be a path, just a filename"
                                      : name + " can't be a path, just a filename";
        }
        std::lock_guard<std::mutex> lk(c.mu_);
        c.*field = a[0];
        return "";
      };
      return d;
    };
    t.push_back(file_name("dbfilename", &Config::dbfilename_, true));
    t.push_back(file_name("appendfilename", &Config::appendfilename_, false));
    t.push_back(file_name("appenddirname", &Config::appenddirname_, false));
    t.push_back(BoolDirective("rdbcompression", &Config::rdbcompression, true));
    t.push_back(BoolDirective("rdbchecksum", &Config::rdbchecksum, true));
    t.push_back(BoolDirective("stop-writes-on-bgsave-error", &Config::stop_writes_on_bgsave_error, true));
    t.push_back(BoolDirective("rdb-del-sync-files", &Config::rdb_del_sync_files, true));
    t.push_back(BoolDirective("rdb-save-incremental-fsync", &Config::rdb_save_incremental_fsync, true));
    t.push_back(BoolDirective("aof-load-truncated", &Config::aof_load_truncated, true));
    t.push_back(BoolDirective("aof-use-rdb-preamble", &Config::aof_use_rdb_preamble, true));
    t.push_back(BoolDirective("aof-rewrite-incremental-fsync", &Config::aof_rewrite_incremental_fsync, true));
    t.push_back(BoolDirective("aof-timestamp-enabled", &Config::aof_timestamp_enabled, true));
    t.push_back(BoolDirective("no-appendfsync-on-rewrite", &Config::no_appendfsync_on_rewrite, true));
    t.push_back(IntDirective("auto-aof-rewrite-percentage", &Config::auto_aof_rewrite_percentage, 0,
                             INT_MAX, true));
    t.push_back(IntDirective("auto-aof-rewrite-min-size", &Config::auto_aof_rewrite_min_size, 0,
                             LLONG_MAX, true, true));
    Directive fsync;
    fsync.name = "appendfsync";
    fsync.mutable_at_runtime = true;
    fsync.multi_arg = false;
    fsync.set = [](Config& c, const Args& a) -> std::string {
      static const char* kValues[] = {"no", "everysec", "always"};
      for (int i = 0; i < 3; ++i) {
        if (EqualsIgnoreCase(a[0], kValues[i])) {
          c.appendfsync.store(i);
          return "";
        }
      }
      return "argument(s) must be one of the following: always, everysec, no";
    };
    fsync.get = [](const Config& c) {
      static const char* kValues[] = {"no", "everysec", "always"};
      return std::string(kValues[c.appendfsync.load()]);
    };
    t.push_back(fsync);

    Directive nke;
    nke.name = "notify-keyspace-events";
    nke.mutable_at_runtime = true;
    nke.multi_arg = false;
    nke.set = [](Config& c, const Args& a) -> std::string {
      int flags = 0;
      if (!ParseNotifyFlags(a[0], &flags)) {
        return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
      }
      c.notify_keyspace_events.store(flags);
      g_notify_flags.store(flags, std::memory_order_relaxed);  // what the commands read
      return "";
    };
    nke.get = [](const Config& c) {
      return NotifyFlagsToString(static_cast<int>(c.notify_keyspace_events.load()));
    };
    t.push_back(nke);
    t.push_back(IntDirective("tracking-table-max-keys", &Config::tracking_table_max_keys, 0,
                             LONG_MAX, true));

    Directive obl;
    obl.name = "client-output-buffer-limit";
    obl.mutable_at_runtime = true;
    obl.multi_arg = true;
    obl.set = [](Config& c, const Args& a) -> std::string {
      std::vector<std::string> words = SplitWords(a);
      if (words.empty() || words.size() % 4 != 0) {
        return "Wrong number of arguments in buffer limit configuration.";
      }
      struct Parsed {
        int cls;
        int64_t hard, soft, secs;
      };
      std::vector<Parsed> parsed;
      for (size_t i = 0; i < words.size(); i += 4) {
        int cls = -1;
        std::string name = ToLower(words[i]);
        if (name == "normal") cls = 0;
        if (name == "slave" || name == "replica") cls = 1;
        if (name == "pubsub") cls = 2;
        if (cls < 0) return "Invalid client class specified in buffer limit configuration.";
        auto hard = ParseMemory(words[i + 1]);
        auto soft = ParseMemory(words[i + 2]);
        auto secs = ParseInt64(words[i + 3]);
        if (!hard || !soft || !secs || *hard < 0 || *soft < 0 || *secs < 0) {
          return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        }
        parsed.push_back({cls, *hard, *soft, *secs});
      }
      for (const Parsed& p : parsed) {
        c.obuf_limits[p.cls].hard = p.hard;
        c.obuf_limits[p.cls].soft = p.soft;
        c.obuf_limits[p.cls].soft_seconds = p.secs;
      }
      return "";
    };
    obl.get = [](const Config& c) {
      std::string out;
      for (int i = 0; i < 3; ++i) {
        if (!out.empty()) out += " ";
        out += std::string(kClassNames[i]) + " " + std::to_string(c.obuf_limits[i].hard.load()) +
               " " + std::to_string(c.obuf_limits[i].soft.load()) + " " +
               std::to_string(c.obuf_limits[i].soft_seconds.load());
      }
      return out;
    };
    t.push_back(obl);

    t.push_back(EvictionDirective("maxmemory", &g_eviction.maxmemory, 0, LLONG_MAX, true));
    t.push_back(EvictionDirective("maxmemory-samples", &g_eviction.samples, 1, INT_MAX));
    t.push_back(EvictionDirective("maxmemory-eviction-tenacity", &g_eviction.tenacity, 0, 100));
    t.push_back(EvictionDirective("lfu-log-factor", &g_eviction.lfu_log_factor, 0, INT_MAX));
    t.push_back(EvictionDirective("lfu-decay-time", &g_eviction.lfu_decay_time, 0, INT_MAX));
    Directive policy;
    policy.name = "maxmemory-policy";
    policy.mutable_at_runtime = true;
    policy.multi_arg = false;
    policy.set = [](Config&, const Args& a) -> std::string {
      auto p = ParsePolicy(a[0]);
      if (!p) return "argument(s) must be one of the following: " + PolicyNameList();
      SetPolicy(*p);
      return "";
    };
    policy.get = [](const Config&) { return std::string(PolicyName(CurrentPolicy())); };
    policy.default_value = "noeviction";
    t.push_back(policy);
    AddObservabilityDirectives(t);
    return t;
  }
};

namespace {

const Directive* FindDirective(std::string_view name) {
  for (const Directive& d : DirectiveTable::Get()) {
    if (EqualsIgnoreCase(d.name, name) || (!d.alias.empty() && EqualsIgnoreCase(d.alias, name))) {
      return &d;
    }
  }
  return nullptr;
}

// Quotes a value for a config file the way sdssplitargs reads it back.
std::string QuoteValue(const std::string& v) {
  bool plain = !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) {
    return ch > ' ' && ch < 127 && ch != '"' && ch != '\'' && ch != '\\';
  });
  if (plain) return v;
  std::string out = "\"";
  for (unsigned char ch : v) {
    switch (ch) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < ' ' || ch >= 127) {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\x%02x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out + "\"";
}

// One "name value" line; multi-word directives (bind, save, ...) are written
// as their words.
std::string RewriteLine(const Directive& d, const std::string& v) {
  if (d.multi_arg && !v.empty()) return d.name + " " + v;
  return d.name + " " + QuoteValue(v);
}

}  // namespace

Config::Config() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  threads = n > 0 ? n : 1;
  obuf_limits[1].hard = 256LL * 1024 * 1024;
  obuf_limits[1].soft = 64LL * 1024 * 1024;
  obuf_limits[1].soft_seconds = 60;
  obuf_limits[2].hard = 32LL * 1024 * 1024;
  obuf_limits[2].soft = 8LL * 1024 * 1024;
  obuf_limits[2].soft_seconds = 60;
}

std::string Config::requirepass() const {
  std::lock_guard<std::mutex> lk(mu_);
  return requirepass_;
}
std::vector<std::string> Config::bind() const {
  std::lock_guard<std::mutex> lk(mu_);
  return bind_;
}
std::string Config::logfile() const {
  std::lock_guard<std::mutex> lk(mu_);
  return logfile_;
}
std::string Config::pidfile() const {
  std::lock_guard<std::mutex> lk(mu_);
  return pidfile_;
}
std::string Config::save() const {
  std::lock_guard<std::mutex> lk(mu_);
  return save_;
}
std::string Config::config_file() const {
  std::lock_guard<std::mutex> lk(mu_);
  return config_file_;
}
std::string Config::dbfilename() const {
  std::lock_guard<std::mutex> lk(mu_);
  return dbfilename_;
}
std::string Config::appendfilename() const {
  std::lock_guard<std::mutex> lk(mu_);
  return appendfilename_;
}
std::string Config::appenddirname() const {
  std::lock_guard<std::mutex> lk(mu_);
  return appenddirname_;
}

std::string Config::dir() const { return FindDirective("dir")->get(*this); }

std::string Config::SetOne(const std::string& name, const Args& args, bool startup) {
  const Directive* d = FindDirective(name);
  if (d == nullptr) return "Bad directive or wrong number of arguments";
  if (!startup && !d->mutable_at_runtime) return "can't set immutable config";
  if (args.empty() || (!d->multi_arg && args.size() != 1)) {
    return "wrong number of arguments";
  }
  return d->set(*this, args);
}

void Config::ApplySideEffects(const std::string& name) {
  if (name == "loglevel") SetLogLevel(static_cast<LogLevel>(loglevel.load()));
}

bool Config::LoadFile(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "Fatal error, can't open config file '" + path + "': " + strerror(errno);
    return false;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    char buf[4096];
    config_file_ = path[0] == '/' || getcwd(buf, sizeof(buf)) == nullptr
                       ? path
                       : std::string(buf) + "/" + path;
  }
  std::string line;
  int lineno = 0;
  std::string saves;  // every `save` line of the file adds its points, as in Redis
  while (std::getline(in, line)) {
    ++lineno;
    size_t start = line.find_first_not_of(" \t\r\n");
    if (start == std::string::npos || line[start] == '#') continue;
    std::vector<std::string> words;
    std::string reason;
    if (!SplitInlineArgs(line, &words)) {
      reason = "Unbalanced quotes in configuration line";
    } else if (!words.empty()) {
      std::string name = ToLower(words[0]);
      words.erase(words.begin());
      if (name == "save" && words.size() >= 2) {
        for (const auto& w : words) saves += " " + w;
        words = {saves};
      } else if (name == "save") {
        saves.clear();
      }
      reason = SetOne(name, words, true);
      if (reason.empty()) ApplySideEffects(name);
    }
    if (!reason.empty()) {
      *error = "\n*** FATAL CONFIG FILE ERROR (Magpie) ***\nReading the configuration file '" +
               path + "', at line " + std::to_string(lineno) + "\n>>> '" + line + "'\n" + reason;
      return false;
    }
  }
  return true;
}

bool Config::LoadArgs(const std::vector<std::string>& args, std::string* error) {
  size_t i = 0;
  int argno = 0;
  while (i < args.size()) {
    const std::string& flag = args[i];
    ++argno;
    if (flag.size() < 3 || flag.compare(0, 2, "--") != 0) {
      *error = "\n*** FATAL CONFIG FILE ERROR (Magpie) ***\nReading the command line, at argument " +
               std::to_string(argno) + "\n>>> '" + flag + "'\nexpected --directive";
      return false;
    }
    std::string name = ToLower(flag.substr(2));
    std::vector<std::string> values;
    ++i;
    // Values run until the next "--flag"; an empty string is a value.
    while (i < args.size() && !(args[i].size() > 2 && args[i].compare(0, 2, "--") == 0)) {
      values.push_back(args[i++]);
    }
    std::string reason;
    const Directive* d = FindDirective(name);
    if (d == nullptr) {
      reason = "Bad directive or wrong number of arguments";
    } else if (values.empty()) {
      reason = "wrong number of arguments";
    } else if (d->multi_arg) {
      reason = SetOne(name, values, true);
    } else if (values.size() != 1) {
      reason = "wrong number of arguments";
    } else {
      reason = SetOne(name, values, true);
    }
    if (!reason.empty()) {
      std::string shown = name;
      for (const auto& v : values) shown += " \"" + v + "\"";
      *error = "\n*** FATAL CONFIG FILE ERROR (Magpie) ***\nReading the command line, at argument " +
               std::to_string(argno) + "\n>>> '" + shown + "'\n" + reason;
      return false;
    }
    ApplySideEffects(name);
  }
  return true;
}

std::string Config::SetMany(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::set<const Directive*> seen;
  for (const auto& [name, value] : pairs) {
    const Directive* d = FindDirective(name);
    if (d == nullptr) return "ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'";
    if (!seen.insert(d).second) {
      return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - duplicate parameter";
    }
  }
  // Apply in order; on failure restore what was already applied.
  std::vector<std::pair<const Directive*, std::string>> applied;
  for (const auto& [name, value] : pairs) {
    const Directive* d = FindDirective(name);
    std::string reason;
    std::string previous = d->get(*this);
    if (!d->mutable_at_runtime) {
      reason = "can't set immutable config";
    } else {
      reason = d->set(*this, {value});
    }
    if (!reason.empty()) {
      for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
        it->first->set(*this, {it->second});
        ApplySideEffects(it->first->name);
      }
      return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + reason;
    }
    applied.emplace_back(d, previous);
    ApplySideEffects(d->name);
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> Config::Get(const Args& patterns) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Directive& d : DirectiveTable::Get()) {
    // An alias is a name of its own (Redis lists both for "*").
    for (const std::string& name : {d.name, d.alias}) {
      if (name.empty()) continue;
      for (const std::string& p : patterns) {
        if (GlobMatch(p, name, true)) {
          // A name without wildcards is echoed as the client spelled it.
          bool exact = p.find_first_of("*?[") == std::string::npos;
          out.emplace_back(exact ? p : name, d.get(*this));
          break;
        }
      }
    }
  }
  return out;
}

std::string Config::Rewrite() {
  std::string path = config_file();
  if (path.empty()) return "ERR The server is running without a config file";
  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  Config defaults;
  std::set<const Directive*> written;
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    std::vector<std::string> words;
    size_t start = line.find_first_not_of(" \t");
    const Directive* d = nullptr;
    if (start != std::string::npos && line[start] != '#' && SplitInlineArgs(line, &words) &&
        !words.empty()) {
      d = FindDirective(words[0]);
    }
    if (d == nullptr) {
      out.push_back(line);
      continue;
    }
    if (written.insert(d).second) out.push_back(RewriteLine(*d, d->get(*this)));
  }
  bool header = false;
  for (const Directive& d : DirectiveTable::Get()) {
    if (written.count(&d) || d.name == "dir") continue;
    std::string v = d.get(*this);
    if (v == (d.default_value.empty() ? d.get(defaults) : d.default_value)) continue;
    if (!header) {
      out.push_back("# Generated by CONFIG REWRITE");
      header = true;
    }
    out.push_back(RewriteLine(d, v));
  }
  std::string tmp = path + ".tmp-rewrite";
  {
    std::ofstream o(tmp, std::ios::trunc);
    if (!o) return std::string("ERR Rewriting config file: ") + strerror(errno);
    for (const std::string& l : out) o << l << "\n";
    if (!o.flush()) return std::string("ERR Rewriting config file: ") + strerror(errno);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return std::string("ERR Rewriting config file: ") + strerror(errno);
  }
  return "";
}

}  // namespace magpie
