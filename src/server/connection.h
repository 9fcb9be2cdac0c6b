// Connection: one client socket, owned by the worker that accepted it.
//
// Reads append to the input buffer; every complete command in it is parsed
// and executed before a single write of all their replies. Only the owning
// worker touches the buffers and parser. Fields other threads read for
// CLIENT LIST are atomics; the name and library info are guarded by the
// server's registry mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/buffer.h"
#include "memcache/memcache_session.h"
#include "protocol/reply.h"
#include "protocol/resp_parser.h"
#include "pubsub/tracking.h"
#include "store/watch.h"

namespace magpie {

class Worker;
class Server;
struct CommandSpec;
class BlockedClient;
struct PubSubClient;
enum class ClientClass;

class Connection {
 public:
  enum class ReplyMode { kOn, kOff, kSkipNext, kSkipThis };

  Connection(Worker& worker, int fd, uint64_t id, std::string addr, std::string laddr,
             bool memcache);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Event handlers called by the worker. They return false once the
  // connection must be closed.
  bool OnReadable();
  bool OnWritable();
  // Runs buffered commands (after a pause ends); false if it must close.
  bool Resume();

  uint64_t id() const { return id_; }
  bool is_memcache() const { return memcache_ != nullptr; }
  int fd() const { return fd_; }
  Worker& worker() { return worker_; }
  Server& server();
  const std::string& addr() const { return addr_; }
  const std::string& laddr() const { return laddr_; }
  int64_t created_ms() const { return created_ms_; }

  int db() const { return db_.load(std::memory_order_relaxed); }
  void set_db(int db) { db_.store(db, std::memory_order_relaxed); }
  int resp() const { return resp_; }
  void set_resp(int v);
  bool authenticated() const { return authenticated_; }
  void set_authenticated(bool v);
  void set_reply_mode(ReplyMode m) { reply_mode_ = m; }
  ReplyMode reply_mode() const { return reply_mode_; }
  bool no_evict() const { return no_evict_; }
  void set_no_evict(bool v) { no_evict_ = v; }
  void CloseAfterReply() { close_after_reply_ = true; }
  bool paused() const { return paused_; }
  // Blocked in BLPOP & co. (server/blocking.h): no command runs until the
  // blocking one completes.
  bool blocked() const { return blocked_ != nullptr; }
  void BlockOn(std::shared_ptr<BlockedClient> b);
  // Ends the block with `reply` and runs pipelined commands; false if the
  // connection must close. Owner worker only.
  bool FinishBlock(std::string_view reply);
  // Set while EXEC or a script runs commands: blocking commands must not
  // block then (blocking.h CanBlock).
  bool deny_blocking = false;
  // Set while a script runs: its commands show in MONITOR as "[db lua]".
  bool in_script = false;
  // True when OnReadable stopped with input still in the socket, to let the
  // worker's other clients run first; the worker calls it again soon.
  bool more_input() const { return more_input_; }
  // Resets to a fresh client's state (RESET).
  void ResetState();

  // MULTI: the commands queued until EXEC, as copies of their arguments.
  struct Transaction {
    std::vector<std::vector<std::string>> commands;
    std::vector<const CommandSpec*> specs;
    bool aborted = false;  // a command was rejected while queuing: EXECABORT
  };
  bool in_transaction() const { return tx_ != nullptr; }
  // The keys this client WATCHes (owner worker only, except that other
  // threads mark it dirty through the watch registry).
  WatchState& watch_state() { return watch_; }
  void BeginTransaction();
  // Ends the MULTI state and hands over what was queued (null outside one).
  std::unique_ptr<Transaction> TakeTransaction();
  // Runs one command of an AOF being loaded (its reply is dropped).
  void Replay(const std::vector<std::string_view>& args);
  // Runs a validated command's handler and counts it in the command
  // statistics. Serves no blocked client: Dispatch does that after the
  // command (EXEC's queued commands run through here).
  void RunHandler(const CommandSpec& spec, const std::vector<std::string_view>& args,
                  int64_t now_ms) {
    RunHandler(spec, args, now_ms, reply_);
  }
  // The same, replying into `reply` (redis.call's scratch buffer).
  void RunHandler(const CommandSpec& spec, const std::vector<std::string_view>& args,
                  int64_t now_ms, ReplyBuilder& reply);

  // Pub/Sub (pubsub/pubsub.h): the subscriptions, created on first use.
  PubSubClient* pubsub() { return pubsub_.get(); }
  PubSubClient& EnsurePubSub();
  // Channels plus patterns (the count SUBSCRIBE replies), and shard channels.
  int subscription_count() const;
  int shard_subscription_count() const;
  // Any subscription: a RESP2 client may then only send (P|S)(UN)SUBSCRIBE,
  // PING, QUIT and RESET, and the pubsub output-buffer limits apply.
  bool subscribed() const { return subscription_count() + shard_subscription_count() > 0; }
  ClientClass output_class() const;
  // Bytes another client caused (a message, an invalidation), appended by
  // the owner worker; true when the worker must flush this client later.
  bool AppendPushed(std::string_view bytes);
  // Writes them and applies the output limits; false if it must close.
  bool FlushPushed();

  // MONITOR (server/monitor.h): this client sees every command from now on.
  bool is_monitor() const { return monitor_.load(std::memory_order_relaxed); }
  void StartMonitor();

  // CLIENT TRACKING state (owner worker only; pubsub/tracking.h keeps the
  // registry side).
  struct Tracking {
    bool on = false;
    TrackingOptions options;
    bool caching = false;  // CLIENT CACHING given for the next command
  };
  Tracking& tracking() { return tracking_; }
  // Applies CLIENT TRACKING ON/OFF to the registry and CLIENT LIST's view.
  void EnableTracking(const TrackingOptions& o);
  void DisableTracking();
  // An invalidation found the REDIRECT client gone (registry mutex held).
  void MarkTrackingBroken() { tracking_flags_.fetch_or(kTrackBroken, std::memory_order_relaxed); }
  bool tracking_broken() const {
    return (tracking_flags_.load(std::memory_order_relaxed) & kTrackBroken) != 0;
  }

  // Name and library info, guarded by Server::registry_mu().
  std::string name;
  std::string lib_name;
  std::string lib_ver;

  // For CLIENT LIST from any thread.
  int64_t last_interaction_ms() const { return last_interaction_ms_.load(std::memory_order_relaxed); }
  int last_command_id() const { return last_cmd_.load(std::memory_order_relaxed); }
  size_t query_buffer_bytes() const { return qbuf_.load(std::memory_order_relaxed); }
  size_t query_buffer_free() const { return qbuf_free_.load(std::memory_order_relaxed); }
  size_t output_bytes() const { return obuf_.load(std::memory_order_relaxed); }
  int resp_version() const { return resp_atomic_.load(std::memory_order_relaxed); }
  // One CLIENT LIST line (without the trailing newline). Call with the
  // registry mutex held.
  std::string InfoLine(int64_t now_ms) const;
  // CLIENT LIST TYPE pubsub / CLIENT KILL TYPE pubsub (registry mutex held).
  bool IsPubSubType() const;

  // Set by CLIENT KILL from any thread; the owner closes the connection.
  std::atomic<bool> kill_requested{false};
  // Output soft-limit tracking: when the soft limit was first exceeded.
  int64_t soft_limit_since_ms = 0;

 private:
  bool ReadInput();
  // Parses and runs complete commands; false when the client must close.
  bool ProcessInput();
  // Runs one command and applies CLIENT REPLY to whatever it answered.
  void Execute(const std::vector<std::string_view>& args);
  void Dispatch(const std::vector<std::string_view>& args);
  // Queues a command of a MULTI (or rejects one MULTI does not allow).
  void Queue(const CommandSpec& spec, const std::vector<std::string_view>& args);
  bool OverHardOutputLimit() const;
  bool ShouldPostpone(const CommandSpec& spec) const;
  bool Flush();
  bool CheckOutputLimits();
  void PublishInfo();
  std::string InfoFlags() const;
  int64_t InfoRedirect() const { return tracking_redir_.load(std::memory_order_relaxed); }
  // Remembers the keys of a read-only command for CLIENT TRACKING.
  void RememberTrackedKeys(const CommandSpec& spec, const std::vector<std::string_view>& args);

  Worker& worker_;
  int fd_;
  uint64_t id_;
  std::string addr_, laddr_;
  int64_t created_ms_;

  std::unique_ptr<MemcacheSession> memcache_;  // set for memcached-protocol clients
  IoBuffer in_;
  std::string out_;
  size_t out_sent_ = 0;
  RespParser parser_;
  ReplyBuilder reply_;
  std::vector<std::string_view> args_;

  int resp_ = 2;
  bool authenticated_ = true;
  bool close_after_reply_ = false;
  bool paused_ = false;
  std::shared_ptr<BlockedClient> blocked_;
  std::unique_ptr<Transaction> tx_;
  WatchState watch_;
  std::unique_ptr<PubSubClient> pubsub_;
  Tracking tracking_;
  std::atomic<bool> monitor_{false};
  std::string held_pushes_;  // invalidations this client caused, sent after the reply
  enum : int { kTrackOn = 1, kTrackBcast = 2, kTrackBroken = 4 };
  std::atomic<int> tracking_flags_{0};      // CLIENT LIST flags t, B, R
  std::atomic<int64_t> tracking_redir_{-1};  // CLIENT LIST redir=
  bool pushed_pending_ = false;  // AppendPushed since the worker's last FlushPushed
  std::atomic<int> multi_count_{-1};  // CLIENT LIST multi=: queued commands, -1 outside MULTI
  std::atomic<bool> blocked_flag_{false};  // blocked(), for CLIENT LIST
  bool blocked_discard_reply_ = false;     // CLIENT REPLY OFF/SKIP applied to it
  bool more_input_ = false;
  bool no_evict_ = false;
  ReplyMode reply_mode_ = ReplyMode::kOn;

  std::atomic<int> db_{0};
  std::atomic<int> resp_atomic_{2};
  std::atomic<int64_t> last_interaction_ms_{0};
  std::atomic<int> last_cmd_{-1};
  std::atomic<size_t> qbuf_{0}, qbuf_free_{0}, obuf_{0};
};

}  // namespace magpie
