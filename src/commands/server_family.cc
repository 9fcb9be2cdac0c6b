// Server commands: INFO, COMMAND, CONFIG, TIME, DEBUG, SHUTDOWN.
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "commands/command.h"
#include "commands/helpers.h"
#include "commands/observability.h"
#include "pubsub/pubsub.h"
#include "pubsub/tracking.h"
#include "server/blocking.h"
#include "server/connection.h"
#include "persistence/aof.h"
#include "persistence/persistence.h"
#include "server/log.h"
#include "server/memory.h"
#include "server/server.h"
#include "server/worker.h"

namespace magpie {

namespace {

constexpr const char* kRedisVersion = "7.0.15";
constexpr const char* kMagpieVersion = "0.1.0";

// Appends "key:value\r\n".
template <typename T>
void Field(std::string& out, const char* key, const T& value) {
  out += key;
  out += ':';
  if constexpr (std::is_arithmetic_v<T>) {
    out += std::to_string(value);
  } else {
    out += value;
  }
  out += "\r\n";
}

std::string Fixed2(double v) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

struct Totals {
  uint64_t hits = 0, misses = 0, expired = 0, stale = 0, samples = 0, commands = 0, conns = 0,
           rejected = 0, in = 0, out = 0, errors = 0, qbuf_kills = 0, obuf_kills = 0;
  uint64_t expired_subkeys = 0, evicted = 0;
};

Totals SumStats() {
  Totals t;
  ForEachStats([&](const ThreadStats& s) {
    t.hits += s.keyspace_hits.Get();
    t.misses += s.keyspace_misses.Get();
    t.expired += s.expired_keys.Get();
    t.evicted += s.evicted_keys.Get();
    t.expired_subkeys += s.expired_subkeys.Get();
    t.stale += s.expired_stale_samples.Get();
    t.samples += s.expire_samples.Get();
    t.commands += s.commands.Get();
    t.conns += s.connections_received.Get();
    t.rejected += s.rejected_connections.Get();
    t.in += s.net_input_bytes.Get();
    t.out += s.net_output_bytes.Get();
    t.qbuf_kills += s.client_qbuf_limit_disconnections.Get();
    t.obuf_kills += s.client_outbuf_limit_disconnections.Get();
  });
  return t;
}

void InfoServer(Server& s, std::string& out, int64_t now_ms) {
  out += "# Server\r\n";
  Field(out, "redis_version", kRedisVersion);
  Field(out, "magpie_version", kMagpieVersion);
  Field(out, "redis_git_sha1", "00000000");
  Field(out, "redis_git_dirty", 0);
  Field(out, "redis_mode", "standalone");
  utsname u;
  uname(&u);
  Field(out, "os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  Field(out, "arch_bits", 64);
  Field(out, "multiplexing_api", "epoll");
  Field(out, "gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                                std::to_string(__GNUC_PATCHLEVEL__));
  Field(out, "process_id", static_cast<int64_t>(getpid()));
  Field(out, "process_supervised", "no");
  Field(out, "run_id", s.run_id());
  Field(out, "tcp_port", s.tcp_port());
  Field(out, "server_time_usec", NowUs());
  int64_t up = (now_ms - s.start_time_ms()) / 1000;
  Field(out, "uptime_in_seconds", up);
  Field(out, "uptime_in_days", up / 86400);
  Field(out, "hz", s.config().hz.load());
  Field(out, "configured_hz", s.config().hz.load());
  Field(out, "lru_clock", (now_ms / 1000) & ((1 << 24) - 1));
  Field(out, "executable", s.executable());
  Field(out, "config_file", s.config().config_file());
  Field(out, "io_threads_active", 0);
  Field(out, "threads", s.num_workers());
}

void InfoClients(Server& s, std::string& out) {
  out += "# Clients\r\n";
  Field(out, "connected_clients", s.connected_clients().load());
  Field(out, "cluster_connections", 0);
  Field(out, "maxclients", s.config().maxclients.load());
  size_t max_in = 0, max_out = 0;
  {
    std::lock_guard<std::mutex> lk(s.registry_mu());
    for (const auto& [id, conn] : s.clients()) {
      max_in = std::max(max_in, conn->query_buffer_bytes());
      max_out = std::max(max_out, conn->output_bytes());
    }
  }
  Field(out, "client_recent_max_input_buffer", max_in);
  Field(out, "client_recent_max_output_buffer", max_out);
  Field(out, "blocked_clients", static_cast<int64_t>(BlockedClientCount()));
  Field(out, "tracking_clients", GetTrackingStats().clients);
  Field(out, "clients_in_timeout_table", 0);
}

// What INFO memory and MEMORY STATS report, gathered once.
struct MemoryReport {
  MemoryStats m;
  size_t dataset = 0;         // entries and their values
  size_t slot_bytes = 0;      // hash table slot arrays
  size_t expires_bytes = 0;   // volatile-key arrays
  size_t evict_bytes = 0;     // S3-FIFO queues
  size_t keys = 0;
  std::vector<std::pair<int, std::pair<size_t, size_t>>> dbs;  // db -> (table, expires) bytes
  size_t overhead() const { return m.allocated > dataset ? m.allocated - dataset : 0; }
};

MemoryReport GatherMemory(Server& s) {
  MemoryReport r;
  r.m = ReadMemoryStats();
  Keyspace& space = s.keyspace();
  for (int i = 0; i < space.count(); ++i) {
    Db& db = space.db(i);
    size_t table = 0, expires = 0;
    for (uint32_t j = 0; j < kNumShards; ++j) {
      Shard& shard = db.shard(j);
      std::lock_guard<ShardMutex> lk(shard.mu());
      table += shard.table().SlotBytes();
      expires += shard.expires() * sizeof(void*);
      r.evict_bytes += shard.EvictionOverhead();
    }
    r.dataset += db.bytes();
    r.slot_bytes += table;
    r.expires_bytes += expires;
    r.keys += db.size();
    if (db.size() > 0) r.dbs.push_back({i, {table, expires}});
  }
  return r;
}

std::string Ratio2(size_t a, size_t b) {
  return Fixed2(b ? static_cast<double>(a) / static_cast<double>(b) : 0);
}

int64_t Diff(size_t a, size_t b) { return static_cast<int64_t>(a) - static_cast<int64_t>(b); }

void InfoMemory(Server& s, std::string& out) {
  MemoryReport r = GatherMemory(s);
  const MemoryStats& m = r.m;
  out += "# Memory\r\n";
  Field(out, "used_memory", m.allocated);
  Field(out, "used_memory_human", BytesToHuman(m.allocated));
  Field(out, "used_memory_rss", m.rss);
  Field(out, "used_memory_rss_human", BytesToHuman(m.rss));
  Field(out, "used_memory_peak", m.peak);
  Field(out, "used_memory_peak_human", BytesToHuman(m.peak));
  Field(out, "used_memory_peak_perc",
        Fixed2(m.peak ? 100.0 * static_cast<double>(m.allocated) / static_cast<double>(m.peak) : 100) + "%");
  Field(out, "used_memory_overhead", r.overhead());
  Field(out, "used_memory_startup", m.startup);
  Field(out, "used_memory_dataset", r.dataset);
  size_t net = m.allocated > m.startup ? m.allocated - m.startup : 0;
  Field(out, "used_memory_dataset_perc",
        Fixed2(net ? 100.0 * static_cast<double>(std::min(r.dataset, net)) / static_cast<double>(net) : 0) + "%");
  Field(out, "allocator_allocated", m.allocated);
  Field(out, "allocator_active", m.active);
  Field(out, "allocator_resident", m.resident);
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  uint64_t total = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
  Field(out, "total_system_memory", total);
  Field(out, "total_system_memory_human", BytesToHuman(total));
  // Scripting: every worker's Lua states (each worker creates its own on
  // first use), the cached EVAL bodies and the library code.
  ScriptRegistry& scripts = s.scripts();
  auto vm_eval = static_cast<uint64_t>(std::max<int64_t>(0, scripts.vm_eval_bytes.load()));
  auto vm_fn = static_cast<uint64_t>(std::max<int64_t>(0, scripts.vm_functions_bytes.load()));
  std::shared_ptr<const FunctionSet> fns = scripts.functions();
  uint64_t fn_bytes = scripts.function_bytes();
  uint64_t eval_bytes = scripts.script_bytes();
  Field(out, "used_memory_lua", vm_eval);
  Field(out, "used_memory_vm_eval", vm_eval);
  Field(out, "used_memory_lua_human", BytesToHuman(vm_eval));
  Field(out, "used_memory_scripts_eval", eval_bytes);
  Field(out, "number_of_cached_scripts", static_cast<uint64_t>(scripts.script_count()));
  Field(out, "number_of_functions", static_cast<uint64_t>(fns->functions.size()));
  Field(out, "number_of_libraries", static_cast<uint64_t>(fns->libraries.size()));
  Field(out, "used_memory_vm_functions", vm_fn);
  Field(out, "used_memory_vm_total", vm_eval + vm_fn);
  Field(out, "used_memory_vm_total_human", BytesToHuman(vm_eval + vm_fn));
  Field(out, "used_memory_functions", fn_bytes);
  Field(out, "used_memory_scripts", eval_bytes + fn_bytes);
  Field(out, "used_memory_scripts_human", BytesToHuman(eval_bytes + fn_bytes));
  int64_t maxmemory = g_eviction.maxmemory.load();
  Field(out, "maxmemory", maxmemory);
  Field(out, "maxmemory_human", BytesToHuman(static_cast<uint64_t>(maxmemory)));
  Field(out, "maxmemory_policy", PolicyName(CurrentPolicy()));
  Field(out, "allocator_frag_ratio", Ratio2(m.active, m.allocated));
  Field(out, "allocator_frag_bytes", Diff(m.active, m.allocated));
  Field(out, "allocator_rss_ratio", Ratio2(m.resident, m.active));
  Field(out, "allocator_rss_bytes", Diff(m.resident, m.active));
  Field(out, "rss_overhead_ratio", Ratio2(m.rss, m.resident));
  Field(out, "rss_overhead_bytes", Diff(m.rss, m.resident));
  Field(out, "mem_fragmentation_ratio", Ratio2(m.rss, m.allocated));
  Field(out, "mem_fragmentation_bytes", Diff(m.rss, m.allocated));
  for (const char* f : {"mem_not_counted_for_evict", "mem_replication_backlog",
                        "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
                        "mem_cluster_links", "mem_aof_buffer"}) {
    Field(out, f, 0);
  }
  Field(out, "mem_allocator", AllocatorName());
  Field(out, "active_defrag_running", 0);
  Field(out, "lazyfree_pending_objects", 0);
  Field(out, "lazyfreed_objects", 0);
}

void InfoPersistence(Server& s, std::string& out) {
  out += "# Persistence\r\n";
  s.persistence().AppendInfo(out);
  s.aof().AppendInfo(out);
}

void InfoStats(Server& s, std::string& out) {
  Totals t = SumStats();
  out += "# Stats\r\n";
  Field(out, "total_connections_received", t.conns);
  Field(out, "total_commands_processed", t.commands);
  Field(out, "instantaneous_ops_per_sec", s.instantaneous_ops());
  Field(out, "total_net_input_bytes", t.in);
  Field(out, "total_net_output_bytes", t.out);
  Field(out, "instantaneous_input_kbps", Fixed2(static_cast<double>(s.instantaneous_input_bytes()) / 1024));
  Field(out, "instantaneous_output_kbps", Fixed2(static_cast<double>(s.instantaneous_output_bytes()) / 1024));
  Field(out, "rejected_connections", t.rejected);
  Field(out, "expired_keys", t.expired);
  Field(out, "expired_subkeys", t.expired_subkeys);
  Field(out, "expired_stale_perc",
        Fixed2(t.samples ? 100.0 * static_cast<double>(t.stale) / static_cast<double>(t.samples) : 0));
  Field(out, "evicted_keys", t.evicted);
  Field(out, "evicted_clients", 0);
  Field(out, "keyspace_hits", t.hits);
  Field(out, "keyspace_misses", t.misses);
  Field(out, "pubsub_channels", NumChannels(SubKind::kChannel));
  Field(out, "pubsub_patterns", NumPatterns());
  Field(out, "pubsubshard_channels", NumChannels(SubKind::kShard));
  Field(out, "total_forks", 0);
  TrackingStats ts = GetTrackingStats();
  Field(out, "tracking_total_keys", ts.keys);
  Field(out, "tracking_total_items", ts.items);
  Field(out, "tracking_total_prefixes", ts.prefixes);
  Field(out, "client_query_buffer_limit_disconnections", t.qbuf_kills);
  Field(out, "client_output_buffer_limit_disconnections", t.obuf_kills);
  uint64_t errors = 0;
  for (int i = 0; i < s.num_workers(); ++i) {
    Worker& w = s.worker(i);
    std::lock_guard<std::mutex> lk(w.errors_mu());
    for (const auto& [code, n] : w.error_counts()) errors += n;
  }
  Field(out, "total_error_replies", errors);
}

void InfoReplication(std::string& out) {
  out += "# Replication\r\n";
  Field(out, "role", "master");
  Field(out, "connected_slaves", 0);
}

void InfoCpu(std::string& out) {
  rusage self, children, thread;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);  // the worker answering, Magpie's "main thread"

  auto secs = [](const timeval& tv) {
    char buf[64];
    snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
    return std::string(buf);
  };
  out += "# CPU\r\n";
  Field(out, "used_cpu_sys", secs(self.ru_stime));
  Field(out, "used_cpu_user", secs(self.ru_utime));
  Field(out, "used_cpu_sys_children", secs(children.ru_stime));
  Field(out, "used_cpu_user_children", secs(children.ru_utime));
  Field(out, "used_cpu_sys_main_thread", secs(thread.ru_stime));
  Field(out, "used_cpu_user_main_thread", secs(thread.ru_utime));
}

void InfoCommandStats(Server& s, std::string& out) {
  out += "# Commandstats\r\n";
  const auto& specs = s.commands().by_id();
  for (size_t id = 0; id < specs.size(); ++id) {
    uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
    for (int i = 0; i < s.num_workers(); ++i) {
      const CommandStats& cs = s.worker(i).command_stats()[id];
      calls += cs.calls.Get();
      usec += cs.usec.Get();
      rejected += cs.rejected_calls.Get();
      failed += cs.failed_calls.Get();
    }
    if (calls == 0 && rejected == 0 && failed == 0) continue;
    char buf[256];
    snprintf(buf, sizeof(buf),
             "cmdstat_%s:calls=%" PRIu64 ",usec=%" PRIu64 ",usec_per_call=%.2f,rejected_calls=%" PRIu64
             ",failed_calls=%" PRIu64 "\r\n",
             specs[id]->name.c_str(), calls, usec,
             calls ? static_cast<double>(usec) / static_cast<double>(calls) : 0.0, rejected, failed);
    out += buf;
  }
}

void InfoErrorStats(Server& s, std::string& out) {
  out += "# Errorstats\r\n";
  std::map<std::string, uint64_t> all;
  for (int i = 0; i < s.num_workers(); ++i) {
    Worker& w = s.worker(i);
    std::lock_guard<std::mutex> lk(w.errors_mu());
    for (const auto& [code, n] : w.error_counts()) all[code] += n;
  }
  for (const auto& [code, n] : all) out += "errorstat_" + code + ":count=" + std::to_string(n) + "\r\n";
}

void InfoKeyspace(Server& s, std::string& out) {
  out += "# Keyspace\r\n";
  Keyspace& ks = s.keyspace();
  for (int i = 0; i < ks.count(); ++i) {
    size_t keys = ks.db(i).size();
    if (keys == 0) continue;
    out += "db" + std::to_string(i) + ":keys=" + std::to_string(keys) +
           ",expires=" + std::to_string(ks.db(i).expires()) + ",avg_ttl=0\r\n";
  }
}

}  // namespace

std::string InfoText(Server& server, const std::vector<std::string>& sections, int64_t now_ms) {
  static const std::vector<std::string> kDefault = {"server", "clients", "memory", "persistence",
                                                    "stats", "replication", "cpu", "errorstats",
                                                    "cluster", "keyspace"};
  std::set<std::string> want;
  if (sections.empty()) want.insert(kDefault.begin(), kDefault.end());
  for (const std::string& s : sections) {
    if (s == "default") {
      want.insert(kDefault.begin(), kDefault.end());
    } else if (s == "all" || s == "everything") {
      want.insert(kDefault.begin(), kDefault.end());
      want.insert("commandstats");
      want.insert("latencystats");
    } else {
      want.insert(s);
    }
  }
  static const char* kOrder[] = {"server", "clients", "memory", "persistence", "stats",
                                 "replication", "cpu", "commandstats", "errorstats",
                                 "latencystats", "cluster", "keyspace"};
  std::string out;
  for (const char* sec : kOrder) {
    if (!want.count(sec)) continue;
    if (!out.empty()) out += "\r\n";
    std::string name = sec;
    if (name == "server") InfoServer(server, out, now_ms);
    if (name == "clients") InfoClients(server, out);
    if (name == "memory") InfoMemory(server, out);
    if (name == "persistence") InfoPersistence(server, out);
    if (name == "stats") InfoStats(server, out);
    if (name == "replication") InfoReplication(out);
    if (name == "cpu") InfoCpu(out);
    if (name == "commandstats") InfoCommandStats(server, out);
    if (name == "errorstats") InfoErrorStats(server, out);
    if (name == "latencystats") InfoLatencyStats(server, out);
    if (name == "cluster") out += "# Cluster\r\ncluster_enabled:0\r\n";
    if (name == "keyspace") InfoKeyspace(server, out);
  }
  return out;
}

namespace {

void Info(CommandContext& c) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < c.argc(); ++i) sections.push_back(ToLower(c.arg(i)));
  c.reply.Verbatim(InfoText(c.server, sections, c.now_ms));
}

// --- COMMAND ---------------------------------------------------------------

void ReplyCommandInfo(ReplyBuilder& r, const CommandSpec& s) {
  r.ArrayHeader(10);
  r.Bulk(s.name);
  r.Int(s.arity);
  auto flags = s.FlagNames();
  r.SetHeader(flags.size());
  for (const auto& f : flags) r.Simple(f);
  r.Int(s.first_key);
  r.Int(s.last_key);
  r.Int(s.step);
  auto cats = s.AllCategories();
  r.SetHeader(cats.size());
  for (const auto& cat : cats) r.Simple(cat);
  r.ArrayHeader(0);  // tips
  if (s.first_key > 0) {
    r.ArrayHeader(1);
    r.MapHeader(3);
    r.Bulk("flags");
    bool write = s.flags & kCmdWrite;
    r.SetHeader(2);
    r.Simple(write ? "RW" : "RO");
    r.Simple(write ? "update" : "access");  // Redis 7.0 spells these in lower case
    r.Bulk("begin_search");
    r.MapHeader(2);
    r.Bulk("type");
    r.Bulk("index");
    r.Bulk("spec");
    r.MapHeader(1);
    r.Bulk("index");
    r.Int(s.first_key);
    r.Bulk("find_keys");
    r.MapHeader(2);
    r.Bulk("type");
    r.Bulk("range");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("lastkey");
    r.Int(s.last_key < 0 ? s.last_key : s.last_key - s.first_key);
    r.Bulk("keystep");
    r.Int(s.step);
    r.Bulk("limit");
    r.Int(0);
  } else {
    r.ArrayHeader(0);
  }
  r.ArrayHeader(s.subcommands.size());
  for (const auto& sub : s.subcommands) ReplyCommandInfo(r, *sub);
}

void ReplyCommandDocs(ReplyBuilder& r, const CommandSpec& s) {
  bool has_complexity = !s.complexity.empty();
  bool has_subs = !s.subcommands.empty();
  r.MapHeader(3 + (has_complexity ? 1 : 0) + (has_subs ? 1 : 0));
  r.Bulk("summary");
  r.Bulk(s.summary);
  r.Bulk("since");
  r.Bulk(s.since);
  r.Bulk("group");
  r.Bulk(s.group);
  if (has_complexity) {
    r.Bulk("complexity");
    r.Bulk(s.complexity);
  }
  if (has_subs) {
    r.Bulk("subcommands");
    r.MapHeader(s.subcommands.size());
    for (const auto& sub : s.subcommands) {
      r.Bulk(sub->name);
      ReplyCommandDocs(r, *sub);
    }
  }
}

void CommandAll(CommandContext& c) {
  const auto& all = c.server.commands().all();
  c.reply.ArrayHeader(all.size());
  for (const CommandSpec* s : all) ReplyCommandInfo(c.reply, *s);
}

void CommandCount(CommandContext& c) {
  c.reply.Int(static_cast<int64_t>(c.server.commands().all().size()));
}

// Finds "get" or "config|get" style names.
const CommandSpec* LookupByFullName(const CommandRegistry& reg, std::string_view name) {
  std::string lower = ToLower(name);
  size_t bar = lower.find('|');
  const CommandSpec* top = reg.Find(lower.substr(0, bar));
  if (top == nullptr || bar == std::string::npos) return top;
  return top->FindSub(lower.substr(bar + 1));
}

void CommandInfo(CommandContext& c) {
  if (c.argc() == 2) return CommandAll(c);
  c.reply.ArrayHeader(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    const CommandSpec* s = LookupByFullName(c.server.commands(), c.arg(i));
    s ? ReplyCommandInfo(c.reply, *s) : c.reply.Null();
  }
}

void CommandDocs(CommandContext& c) {
  std::vector<const CommandSpec*> specs;
  if (c.argc() == 2) {
    specs = c.server.commands().all();
  } else {
    for (size_t i = 2; i < c.argc(); ++i) {
      if (const CommandSpec* s = LookupByFullName(c.server.commands(), c.arg(i))) specs.push_back(s);
    }
  }
  c.reply.MapHeader(specs.size());
  for (const CommandSpec* s : specs) {
    c.reply.Bulk(s->name);
    ReplyCommandDocs(c.reply, *s);
  }
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT cat | PATTERN pattern]
void CommandList(CommandContext& c) {
  std::string_view by, value;
  if (c.argc() == 5 && EqualsIgnoreCase(c.arg(2), "filterby")) {
    by = c.arg(3);
    value = c.arg(4);
    if (!EqualsIgnoreCase(by, "module") && !EqualsIgnoreCase(by, "aclcat") &&
        !EqualsIgnoreCase(by, "pattern")) {
      return c.reply.Error(err::kSyntax);
    }
  } else if (c.argc() != 2) {
    return c.reply.Error(err::kSyntax);
  }
  std::vector<std::string> names;
  auto consider = [&](const CommandSpec& s) {
    if (EqualsIgnoreCase(by, "module")) return;
    if (EqualsIgnoreCase(by, "pattern") && !GlobMatch(value, s.name, true)) return;
    if (EqualsIgnoreCase(by, "aclcat")) {
      auto cats = s.AllCategories();
      std::string want = "@" + ToLower(value);
      if (std::find(cats.begin(), cats.end(), want) == cats.end()) return;
    }
    names.push_back(s.name);
  };
  for (const CommandSpec* s : c.server.commands().all()) {
    consider(*s);
    for (const auto& sub : s->subcommands) consider(*sub);
  }
  c.reply.ArrayHeader(names.size());
  for (const auto& n : names) c.reply.Bulk(n);
}

void CommandGetKeys(CommandContext& c) {
  const CommandSpec* s = c.server.commands().Find(ToLower(c.arg(2)));
  if (s == nullptr) return c.reply.Error("ERR Invalid command specified");
  std::vector<std::string_view> args(c.args.begin() + 2, c.args.end());
  if (!s->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = s->FindSub(ToLower(args[1]));
    if (sub != nullptr) s = sub;
  }
  int argc = static_cast<int>(args.size());
  if ((s->arity > 0 && s->arity != argc) || argc < -s->arity) {
    return c.reply.Error("ERR Invalid number of arguments specified for command");
  }
  if (s->first_key <= 0) return c.reply.Error("ERR The command has no key arguments");
  int last = s->last_key < 0 ? argc + s->last_key : s->last_key;
  std::vector<std::string_view> keys;
  for (int i = s->first_key; i <= last && i < argc; i += s->step) keys.push_back(args[static_cast<size_t>(i)]);
  c.reply.ArrayHeader(keys.size());
  for (auto k : keys) c.reply.Bulk(k);
}

void CommandHelp(CommandContext& c) {
  HelpLines(c, {"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "(no subcommand)", "    Return details about all Redis commands.",
                "COUNT", "    Return the total number of commands in this Redis server.",
                "LIST", "    Return a list of all commands in this Redis server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "GETKEYS <full-command>",
                "    Return the keys from a full Redis command.",
                "HELP", "    Print this help."});
}

// --- CONFIG ----------------------------------------------------------------

void ConfigGet(CommandContext& c) {
  std::vector<std::string> patterns(c.args.begin() + 2, c.args.end());
  auto pairs = c.server.config().Get(patterns);
  c.reply.MapHeader(pairs.size());
  for (const auto& [k, v] : pairs) {
    c.reply.Bulk(k);
    c.reply.Bulk(v);
  }
}

void ConfigSet(CommandContext& c) {
  if (c.argc() % 2 != 0) return c.reply.Error(err::kSyntax);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < c.argc(); i += 2) {
    pairs.emplace_back(ToLower(c.arg(i)), std::string(c.arg(i + 1)));
  }
  std::string error = c.server.config().SetMany(pairs);
  if (!error.empty()) return c.reply.Error(error);
  for (const auto& [name, value] : pairs) {
    if (name != "appendonly") continue;
    if (c.server.config().appendonly.load()) {
      std::string err = c.server.aof().Enable();
      if (!err.empty()) {
        c.server.config().appendonly.store(false);
        return c.reply.Error("ERR CONFIG SET failed (possibly related to argument 'appendonly') - " + err);
      }
    } else {
      c.server.aof().Disable();
    }
  }
  c.reply.Ok();
}

void ConfigResetStat(CommandContext& c) {
  ResetAllStats();
  for (int i = 0; i < c.server.num_workers(); ++i) {
    Worker& w = c.server.worker(i);
    for (CommandStats& cs : w.command_stats()) {
      cs.calls.Reset();
      cs.usec.Reset();
      cs.rejected_calls.Reset();
      cs.failed_calls.Reset();
      if (LatencyHistogram* h = cs.hist.load()) h->Reset();
    }
    std::lock_guard<std::mutex> lk(w.errors_mu());
    w.error_counts().clear();
  }
  c.reply.Ok();
}

void ConfigRewrite(CommandContext& c) {
  std::string error = c.server.config().Rewrite();
  if (!error.empty()) return c.reply.Error(error);
  LOG_NOTICE("CONFIG REWRITE executed with success.");
  c.reply.Ok();
}

void ConfigHelp(CommandContext& c) {
  HelpLines(c, {"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
                "RESETSTAT", "    Reset statistics reported by the INFO command.",
                "REWRITE", "    Rewrite the configuration file.",
                "HELP", "    Print this help."});
}

// --- MEMORY ----------------------------------------------------------------

// MEMORY USAGE key [SAMPLES count]: the entry's allocation plus its value's
// (Magpie counts every element exactly, so SAMPLES is validated and unused).
void MemoryUsage(CommandContext& c) {
  for (size_t i = 3; i < c.argc(); ++i) {
    if (EqualsIgnoreCase(c.arg(i), "samples") && i + 1 < c.argc()) {
      auto n = IntArg(c, c.arg(++i));
      if (!n) return;
      if (*n < 0) return c.reply.Error(err::kSyntax);
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  KeyLock k(c.db(), c.arg(2));
  Entry* e = k.shard.Find(k.ref, c.now_ms);
  if (e == nullptr) return c.reply.Null();
  c.reply.Int(static_cast<int64_t>(e->AllocatedSize()));
}

// MEMORY STATS: Redis's field names, in its order.
void MemoryStatsCmd(CommandContext& c) {
  MemoryReport r = GatherMemory(c.server);
  const MemoryStats& m = r.m;
  auto pct = [](size_t a, size_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  auto ratio = [](size_t a, size_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  size_t net = m.allocated > m.startup ? m.allocated - m.startup : 0;
  c.reply.MapHeader(27 + r.dbs.size());
  auto num = [&](const char* k, int64_t v) {
    c.reply.Bulk(k);
    c.reply.Int(v);
  };
  auto dbl = [&](const char* k, double v) {
    c.reply.Bulk(k);
    c.reply.Double(v);
  };
  auto sz = [](size_t v) { return static_cast<int64_t>(v); };
  num("peak.allocated", sz(m.peak));
  num("total.allocated", sz(m.allocated));
  num("startup.allocated", sz(m.startup));
  for (const char* k : {"replication.backlog", "clients.slaves", "clients.normal", "cluster.links",
                        "aof.buffer"}) {
    num(k, 0);
  }
  num("lua.caches", sz(c.server.scripts().script_bytes()));
  num("functions.caches", sz(c.server.scripts().function_bytes()));
  num("overhead.total", sz(r.overhead()));
  num("keys.count", sz(r.keys));
  num("keys.bytes-per-key", r.keys ? sz(net / r.keys) : 0);
  num("dataset.bytes", sz(r.dataset));
  dbl("dataset.percentage", pct(std::min(r.dataset, net), net));
  dbl("peak.percentage", pct(m.allocated, m.peak));
  num("allocator.allocated", sz(m.allocated));
  num("allocator.active", sz(m.active));
  num("allocator.resident", sz(m.resident));
  dbl("allocator-fragmentation.ratio", ratio(m.active, m.allocated));
  num("allocator-fragmentation.bytes", Diff(m.active, m.allocated));
  dbl("allocator-rss.ratio", ratio(m.resident, m.active));
  num("allocator-rss.bytes", Diff(m.resident, m.active));
  dbl("rss-overhead.ratio", ratio(m.rss, m.resident));
  num("rss-overhead.bytes", Diff(m.rss, m.resident));
  dbl("fragmentation", ratio(m.rss, m.allocated));
  num("fragmentation.bytes", Diff(m.rss, m.allocated));
  for (const auto& [db, bytes] : r.dbs) {
    c.reply.Bulk("db." + std::to_string(db));
    c.reply.MapHeader(3);
    num("overhead.hashtable.main", sz(bytes.first));
    num("overhead.hashtable.expires", sz(bytes.second));
    num("overhead.hashtable.slot-to-keys", 0);
  }
}

// MEMORY DOCTOR: Redis's wording, for the conditions Magpie can see.
void MemoryDoctor(CommandContext& c) {
  MemoryReport r = GatherMemory(c.server);
  const MemoryStats& m = r.m;
  if (m.allocated < 5 * 1024 * 1024) {
    return c.reply.Verbatim(
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't "
        "be used in these conditions. Please, leave for your mission on Earth and fill it with "
        "some data. The new Sam and I will be back to our programming as soon as I finished "
        "rebooting.");
  }
  std::string issues;
  if (m.peak > m.allocated + m.allocated / 2) {
    issues += " * Peak memory: In the past this instance used more than 150% the memory that is "
              "currently using. The allocator is normally not able to release memory after a peak, "
              "so you can expect to see a big fragmentation ratio, however this is actually "
              "harmless and is only due to the memory peak, and if the Redis instance Resident Set "
              "Size (RSS) is currently bigger than expected, the memory will be used as soon as you "
              "fill the Redis instance with more data. If the memory peak was only occasional and "
              "you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise "
              "the only other option is to shutdown and restart the instance.\n\n";
  }
  if (m.active > m.allocated && static_cast<double>(m.active) / static_cast<double>(m.allocated) > 1.1 &&
      m.active - m.allocated > 10 * 1024 * 1024) {
    issues += " * High allocator fragmentation: This instance has an allocator external "
              "fragmentation greater than 1.1. This problem is usually due either to a large peak "
              "memory (check if there is a peak memory entry above in the report) or may result "
              "from a workload that causes the allocator to fragment memory a lot. You can try "
              "enabling 'activedefrag' config option.\n\n";
  }
  if (issues.empty()) {
    return c.reply.Verbatim(
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
        "occurs on this base.");
  }
  c.reply.Verbatim("Sam, I detected a few issues in this Redis instance memory implants:\n\n" +
                   issues + "I'm here to keep you safe, Sam. I want to help you.\n");
}

void MemoryPurge(CommandContext& c) {
  PurgeAllocator();
  c.reply.Ok();
}

void MemoryMallocStats(CommandContext& c) { c.reply.Verbatim(AllocatorStatsReport()); }

void MemoryHelp(CommandContext& c) {
  HelpLines(c, {"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "DOCTOR", "    Return memory problems reports.",
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
                "PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
                "STATS", "    Return information about the memory usage of the server.",
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all).",
                "HELP", "    Prints this help."});
}

// --- TIME, DEBUG, SHUTDOWN -------------------------------------------------

void Time(CommandContext& c) {
  int64_t us = NowUs();
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(us / 1000000));
  c.reply.Bulk(std::to_string(us % 1000000));
}

bool IsLocalAddr(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr.rfind("::1:", 0) == 0;
}

void Debug(CommandContext& c) {
  int64_t mode = c.server.config().enable_debug_command.load();
  if (mode == 0 || (mode == 2 && !IsLocalAddr(c.conn.addr()))) {
    return c.reply.Error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
        "you can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server.");
  }
  std::string sub = ToLower(c.arg(1));
  if (sub == "help") {
    return HelpLines(c, {"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                         "RELOAD", "    Save the RDB on disk and reload it back to memory.",
                         "SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
                         "HELP", "    Print this help."});
  }
  if (sub == "reload" && c.argc() == 2) {
    // Save, empty every database, load the file back: the round trip the
    // RDB code must survive.
    Persistence& p = c.server.persistence();
    std::string err = p.Save();
    if (!err.empty()) return c.reply.Error("ERR Error trying to save the DB: " + err);
    FlushDatabases(c.server.keyspace(), 0, c.server.keyspace().count() - 1, false);
    if (!p.Load()) {
      return c.reply.Error("ERR Error trying to load the RDB dump, check server logs.");
    }
    return c.reply.Ok();
  }
  if (sub == "sleep" && c.argc() == 3) {
    auto secs = ParseDouble(c.arg(2));
    double s = secs.value_or(0);  // Redis uses atof: garbage sleeps 0
    if (s > 0) std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(s * 1e6)));
    return c.reply.Ok();
  }
  c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + CStr(c.arg(1)) +
                "'. Try DEBUG HELP.");
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
void Shutdown(CommandContext& c) {
  bool nosave = false, save = false, abort = false;
  for (size_t i = 1; i < c.argc(); ++i) {
    std::string_view a = c.arg(i);
    if (EqualsIgnoreCase(a, "nosave")) {
      nosave = true;
    } else if (EqualsIgnoreCase(a, "save")) {
      save = true;
    } else if (EqualsIgnoreCase(a, "now") || EqualsIgnoreCase(a, "force")) {
    } else if (EqualsIgnoreCase(a, "abort")) {
      abort = true;
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  if ((nosave && save) || (abort && c.argc() > 2)) return c.reply.Error(err::kSyntax);
  if (abort) return c.reply.Error("ERR No shutdown in progress.");
  ScriptRegistry& scripts = c.server.scripts();
  if (scripts.busy()) {
    // Only SHUTDOWN NOSAVE may stop a server stuck in a script.
    if (!nosave) {
      return c.reply.Error(scripts.BusyError());
    }
    scripts.KillAll();
  }
  bool force = false;
  for (size_t i = 1; i < c.argc(); ++i) force |= EqualsIgnoreCase(c.arg(i), "force");
  if (!nosave && (save || !c.server.config().save().empty())) {
    Persistence& p = c.server.persistence();
    p.StopBackgroundSave();
    LOG_NOTICE("Saving the final RDB snapshot before exiting.");
    if (!p.Save().empty() && !force) {
      LOG_WARNING("Error trying to save the DB, can't exit.");
      return c.reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
    }
  }
  LOG_WARNING("User requested shutdown...");
  c.conn.CloseAfterReply();
  c.server.RequestShutdown(0);
}

// MONITOR: from now on the client sees every command (server/monitor.h).
void Monitor(CommandContext& c) {
  if (c.conn.deny_blocking) return c.reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  if (c.conn.is_monitor()) return;  // Redis ignores it, without a reply
  c.conn.StartMonitor();
  c.reply.Ok();
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, const char* cats, const char* since,
                const char* summary, CommandHandler h) {
  return MakeCommand(name, arity, flags, {}, cats, "server", since, summary, h);
}

}  // namespace

void RegisterServerFamily(CommandRegistry& r) {
  constexpr uint32_t kLS = kCmdLoading | kCmdStale;
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kLS;
  r.Add(Cmd("info", -1, kLS | kCmdSentinel, "@dangerous", "1.0.0", "Returns information and statistics about the server.", Info));
  r.Add(Cmd("time", 1, kLS | kCmdFast, "", "2.6.0", "Returns the server time.", Time));
  r.Add(Cmd("monitor", 1, kAdmin, "", "1.0.0", "Listens for all requests received by the server in real-time.", Monitor));
  r.Add(Cmd("debug", -2, kAdmin, "", "1.0.0", "A container for debugging commands.", Debug));
  r.Add(Cmd("shutdown", -1, kAdmin | kCmdNoMulti | kCmdSentinel | kCmdAllowBusy, "", "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.", Shutdown));

  CommandSpec& command = r.Add(Cmd("command", -1, kLS | kCmdSentinel, "@connection", "2.8.13", "Returns detailed information about all commands.", CommandAll));
  r.AddSub(command, Cmd("count", 2, kLS | kCmdSentinel, "@connection", "2.8.13", "Returns a count of commands.", CommandCount));
  r.AddSub(command, Cmd("info", -2, kLS | kCmdSentinel, "@connection", "2.8.13", "Returns information about one, multiple or all commands.", CommandInfo));
  r.AddSub(command, Cmd("docs", -2, kLS | kCmdSentinel, "@connection", "7.0.0", "Returns documentary information about one, multiple or all commands.", CommandDocs));
  r.AddSub(command, Cmd("list", -2, kLS | kCmdSentinel, "@connection", "7.0.0", "Returns a list of command names.", CommandList));
  r.AddSub(command, Cmd("getkeys", -4, kLS | kCmdSentinel, "@connection", "2.8.13", "Extracts the key names from an arbitrary command.", CommandGetKeys));
  r.AddSub(command, Cmd("help", 2, kLS | kCmdSentinel, "@connection", "5.0.0", "Returns helpful text about the different subcommands.", CommandHelp));

  CommandSpec& config = r.Add(Cmd("config", -2, 0, "", "2.0.0", "A container for server configuration commands.", nullptr));
  r.AddSub(config, Cmd("get", -3, kAdmin, "", "2.0.0", "Returns the effective values of configuration parameters.", ConfigGet));
  r.AddSub(config, Cmd("set", -4, kAdmin | kCmdMayReplicate, "", "2.0.0", "Sets configuration parameters in-flight.", ConfigSet));
  r.AddSub(config, Cmd("resetstat", 2, kAdmin, "", "2.0.0", "Resets the server's statistics.", ConfigResetStat));
  r.AddSub(config, Cmd("rewrite", 2, kAdmin, "", "2.8.0", "Persists the effective configuration to file.", ConfigRewrite));
  r.AddSub(config, Cmd("help", 2, kLS, "", "5.0.0", "Returns helpful text about the different subcommands.", ConfigHelp));

  CommandSpec& memory = r.Add(Cmd("memory", -2, 0, "", "4.0.0", "A container for memory diagnostics commands", nullptr));
  r.AddSub(memory, MakeCommand("usage", -3, kCmdReadOnly, {2, 2, 1}, "", "server", "4.0.0", "Estimate the memory usage of a key", MemoryUsage, "O(N) where N is the number of samples."));
  r.AddSub(memory, Cmd("purge", 2, 0, "", "4.0.0", "Ask the allocator to release memory", MemoryPurge));
  r.AddSub(memory, Cmd("malloc-stats", 2, 0, "", "4.0.0", "Show allocator internal stats", MemoryMallocStats));
  r.AddSub(memory, Cmd("stats", 2, 0, "", "4.0.0", "Show memory usage details", MemoryStatsCmd));
  r.AddSub(memory, Cmd("doctor", 2, 0, "", "4.0.0", "Outputs memory problems report", MemoryDoctor));
  r.AddSub(memory, Cmd("help", 2, kLS, "", "4.0.0", "Show helpful text about the different subcommands", MemoryHelp));
}

}  // namespace magpie
