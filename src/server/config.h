// Server configuration: redis.conf syntax and directive names, given by a
// file, by `--directive value` flags, and changed at run time by CONFIG SET.
//
// Values read on hot paths are atomics so workers never lock to read them;
// string values sit behind a mutex. Every directive is one row of the table
// in config.cc, which CONFIG GET/SET/REWRITE and the file parser all read.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace magpie {

// client-output-buffer-limit for one class of clients.
struct OutputBufferLimit {
  std::atomic<int64_t> hard{0};
  std::atomic<int64_t> soft{0};
  std::atomic<int64_t> soft_seconds{0};
};

enum class ClientClass { kNormal = 0, kReplica = 1, kPubSub = 2 };

class Config {
 public:
  Config();

  std::atomic<int64_t> port{6379};
  // memcached protocol port over database 0 (0 disables) and item size cap.
  std::atomic<int64_t> memcached_port{11211};
  std::atomic<int64_t> memcached_max_item_size{1024 * 1024};
  std::atomic<int64_t> databases{16};
  std::atomic<int64_t> maxclients{10000};
  std::atomic<int64_t> timeout{0};
  std::atomic<int64_t> tcp_keepalive{300};
  std::atomic<int64_t> tcp_backlog{511};
  std::atomic<int64_t> threads{1};
  std::atomic<int64_t> proto_max_bulk_len{512LL * 1024 * 1024};
  std::atomic<int64_t> client_query_buffer_limit{1024LL * 1024 * 1024};
  std::atomic<int64_t> hz{10};
  std::atomic<int64_t> loglevel{2};
  // enable-debug-command: 0 no, 1 yes, 2 local (Redis's default is no).
  std::atomic<int64_t> enable_debug_command{0};
  // sanitize-dump-payload: 0 no, 1 yes, 2 clients. Accepted for Redis's
  // sake only: Magpie validates every RESTORE payload and RDB value deeply.
  std::atomic<int64_t> sanitize_dump_payload{0};
  // Compact-encoding thresholds of the collection types (Redis's names).
  std::atomic<int64_t> hash_max_listpack_entries{512};
  std::atomic<int64_t> hash_max_listpack_value{64};
  std::atomic<int64_t> set_max_intset_entries{512};
  std::atomic<int64_t> set_max_listpack_entries{128};
  std::atomic<int64_t> set_max_listpack_value{64};
  std::atomic<int64_t> zset_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_value{64};
  std::atomic<int64_t> list_max_listpack_size{-2};
  // Largest sparse HyperLogLog (header included) before it turns dense.
  std::atomic<int64_t> hll_sparse_max_bytes{3000};
  // After this many ms a running script makes other clients get -BUSY.
  std::atomic<int64_t> busy_reply_threshold{5000};
  // notify-keyspace-events as NotifyClass bits (pubsub/notify.h).
  std::atomic<int64_t> notify_keyspace_events{0};
  // Most keys the client-side-caching table remembers (0: unbounded).
  std::atomic<int64_t> tracking_table_max_keys{1000000};
  std::atomic<bool> protected_mode{true};
  std::atomic<bool> appendonly{false};
  // Persistence (persistence/persistence.h).
  std::atomic<bool> rdbcompression{true};
  std::atomic<bool> rdbchecksum{true};
  std::atomic<bool> stop_writes_on_bgsave_error{true};
  std::atomic<bool> rdb_del_sync_files{false};
  std::atomic<bool> rdb_save_incremental_fsync{true};
  // appendfsync: 0 no, 1 everysec, 2 always.
  std::atomic<int64_t> appendfsync{1};
  std::atomic<int64_t> auto_aof_rewrite_percentage{100};
  std::atomic<int64_t> auto_aof_rewrite_min_size{64LL * 1024 * 1024};
  std::atomic<bool> aof_load_truncated{true};
  std::atomic<bool> aof_use_rdb_preamble{true};
  std::atomic<bool> aof_rewrite_incremental_fsync{true};
  std::atomic<bool> aof_timestamp_enabled{false};
  std::atomic<bool> no_appendfsync_on_rewrite{false};
  std::atomic<bool> daemonize{false};
  OutputBufferLimit obuf_limits[3];

  std::string requirepass() const;
  std::vector<std::string> bind() const;
  std::string logfile() const;
  std::string pidfile() const;
  std::string dir() const;
  std::string save() const;
  std::string dbfilename() const;
  std::string appendfilename() const;
  std::string appenddirname() const;
  std::string config_file() const;

  // Loads a config file; on error returns false and a Redis-style report in
  // *error ("Reading the configuration file 'f', at line N ...").
  bool LoadFile(const std::string& path, std::string* error);
  // Applies command-line flags (`--name v1 v2 --other v`), after the file.
  bool LoadArgs(const std::vector<std::string>& args, std::string* error);

  // CONFIG SET of several pairs, all or nothing. Returns "" or the error
  // reply text (without the leading '-').
  std::string SetMany(const std::vector<std::pair<std::string, std::string>>& pairs);
  // CONFIG GET: every (name, value) whose name matches one of the patterns.
  std::vector<std::pair<std::string, std::string>> Get(
      const std::vector<std::string>& patterns) const;
  // CONFIG REWRITE. Returns "" or the error text.
  std::string Rewrite();

  // Called after a directive changes at run time (logging, dir).
  void ApplySideEffects(const std::string& name);

 private:
  friend struct DirectiveTable;
  std::string SetOne(const std::string& name, const std::vector<std::string>& args, bool startup);

  mutable std::mutex mu_;
  std::string requirepass_;
  std::vector<std::string> bind_{"*", "-::*"};
  std::string logfile_;
  std::string pidfile_;
  std::string save_ = "3600 1 300 100 60 10000";  // Redis 7's default
  std::string dbfilename_ = "dump.rdb";
  std::string appendfilename_ = "appendonly.aof";
  std::string appenddirname_ = "appendonlydir";
  std::string config_file_;
};

}  // namespace magpie
