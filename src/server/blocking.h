// Blocking commands (BLPOP, BLMOVE, BLMPOP, ... and any family's BZPOPMIN):
// clients waiting for keys to receive data.
//
// A command that finds its keys empty calls BlockClient() while still
// holding the keys' shard locks. The client is registered, in arrival
// order, under each key (of its database) in one process-wide registry, and
// its connection stops running commands (the ones it pipelined behind wait)
// until it is unblocked.
//
// A command that adds data to a key a client may wait on calls
// SignalKeyReady() with that key's shard lock held. Because the blocker
// registered under the same lock, a push can never slip between "found
// empty" and "registered" (no lost wake-up). Signals only note the key in a
// per-thread list; after the command finishes, the dispatcher calls
// ServeReadyKeys(), which — on the pushing client's thread, holding no
// locks — hands the key to its waiters first-blocked-first-served: each
// waiter's ServeFn takes the shard locks it needs, re-checks the key and,
// if it can serve, calls BlockedClient::Claim() and performs the pop (or
// pop-and-push) under those same locks. Claim() is the single point where
// exactly one of "served", "timed out", "CLIENT UNBLOCK" and "disconnected"
// wins. The reply bytes then travel to the blocked client's own worker
// through its task queue (Worker::Post), which writes them and resumes the
// connection: a worker never writes to another worker's socket.
//
// Timeouts are timers in the blocked client's worker loop (Worker::AddTimer),
// so they fire with millisecond precision.
//
// Lock order: shard locks, then the registry mutex (innermost). The
// registry also maps client id -> waiter for CLIENT UNBLOCK.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply.h"

namespace magpie {

class Connection;
class Server;
class Worker;
struct CommandContext;

class BlockedClient;

// What a serve attempt did.
enum class ServeResult {
  kNotReady,  // the key cannot serve anyone now: stop serving it
  kOtherKind, // the key holds a type this client does not wait for (a
              // BLPOP waiter on a key that became a sorted set): try the next
  kServed,    // Claim() succeeded and the reply is written
  kGone,      // Claim() failed: the client was unblocked some other way
};

// Tries to serve a blocked client from `key` (of b.db()). Runs on any
// thread with no locks held; must lock what it touches, check that the key
// can serve, then call b.Claim() under those locks and only if it returns
// true change data and write the reply into `reply` (already set to the
// client's protocol).
using ServeFn =
    std::function<ServeResult(Server& s, BlockedClient& b, std::string_view key, ReplyBuilder& reply)>;

class BlockedClient {
 public:
  BlockedClient(Connection* conn, int db, bool resp3, std::vector<std::string> keys, ServeFn serve);

  int db() const { return db_; }
  uint64_t client_id() const { return client_id_; }
  const std::vector<std::string>& keys() const { return keys_; }
  // Takes the client out of the waiting state; true for exactly one caller.
  bool Claim();
  bool waiting() const { return state_.load(std::memory_order_acquire) == kWaiting; }

 private:
  friend struct BlockingAccess;
  enum : int { kWaiting = 0, kDone = 1 };

  std::atomic<int> state_{kWaiting};
  Connection* conn_;  // owner worker only; nullptr once the connection is gone
  Worker* worker_;
  uint64_t client_id_;
  int db_;
  bool resp3_;
  std::vector<std::string> keys_;
  ServeFn serve_;
  bool has_timer_ = false;
  int64_t timer_when_ = 0;
  uint64_t timer_seq_ = 0;
};

// Parses a blocking timeout in seconds (fractions allowed) into ms, 0
// meaning forever, replying Redis's error on failure.
std::optional<int64_t> ParseBlockTimeout(CommandContext& c, std::string_view arg);

// Whether the command may block. Inside MULTI/EXEC or a script
// (Connection::deny_blocking) a blocking command must instead answer as if
// it had timed out at once, as Redis does.
bool CanBlock(CommandContext& c);

// Blocks c.conn on `keys` of its current database. Call with every key's
// shard lock held, after finding none can serve, without having replied.
// `timeout_ms` 0 waits forever; on timeout the client gets a null array.
void BlockClient(CommandContext& c, const std::vector<std::string_view>& keys, int64_t timeout_ms,
                 ServeFn serve);

// Key `key` of database `db` got data a blocked client may want. Call with
// the key's shard lock held, after the change. Cheap when nobody is blocked.
void SignalKeyReady(int db, std::string_view key);
// Every key of database `db` that a client waits on (SWAPDB changed them
// all). Call with the database's shards locked.
void SignalBlockedKeysOf(int db);

// Serves the clients waiting on keys this thread signalled (called by the
// dispatcher after each command, with no locks held).
void ServeReadyKeys(Server& s);
// Whether this thread signalled keys that ServeReadyKeys would serve.
bool HasReadyKeys();

// CLIENT UNBLOCK: true if client `id` was blocked and is now unblocked with
// a timeout (null) reply, or the UNBLOCKED error when `error`.
bool UnblockClient(uint64_t id, bool error);

// The blocked client's connection is closing (owner worker).
void AbandonBlocked(const std::shared_ptr<BlockedClient>& b);

// Clients currently blocked (INFO blocked_clients).
size_t BlockedClientCount();

}  // namespace magpie
