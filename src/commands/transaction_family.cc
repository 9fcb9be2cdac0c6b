// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// MULTI makes the connection queue its commands (Connection::Queue, after
// the same validation Dispatch applies: an unknown command, a wrong arity,
// NOAUTH or a command MULTI forbids makes EXEC fail with EXECABORT). EXEC
// runs the queue serializably with every other client on every worker: it
// locks, in the global order, the shards of all the keys the queued
// commands name, and holds them for the whole queue (TransactionHold turns
// the commands' own locking of those shards into no-ops). A queue with a
// command whose keys are not fixed positions (movable keys, commands that
// walk the keyspace or switch databases) locks every shard of every
// database instead. Inside EXEC, blocking commands do not block, and the
// clients blocked on keys the queue fed are served after the locks are
// released, as Redis serves them after EXEC.
//
// WATCH registers keys in the watch registry (store/watch.h): any change to
// one of them, from any worker, marks the client dirty. EXEC locks the
// watched keys' shards with the queue's, then checks the flag (and whether
// a watched key expired since): once those locks are held nobody can
// change a watched key before the queue has run.
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/helpers.h"
#include "server/connection.h"
#include "server/server.h"

namespace magpie {

namespace {

// Adds the shards EXEC must hold for the queued commands and the watched
// keys.
void AddShards(CommandContext& c, const Connection::Transaction& tx, ShardSet* set) {
  Keyspace& ks = c.server.keyspace();
  for (const WatchState::Key& k : c.conn.watch_state().keys) {
    set->Add(&ks.db(k.db).shard_for(KeyRef::Of(k.key)));
  }
  Db& db = c.db();
  std::vector<Shard*> shards;
  for (size_t i = 0; i < tx.commands.size(); ++i) {
    if (!KeyShards(db, *tx.specs[i], tx.commands[i], &shards)) {
      for (int d = 0; d < ks.count(); ++d) {
        for (uint32_t s = 0; s < kNumShards; ++s) set->Add(&ks.db(d).shard(s));
      }
      return;
    }
  }
  for (Shard* s : shards) set->Add(s);
}

void Multi(CommandContext& c) {
  if (c.conn.in_transaction()) return c.reply.Error("ERR MULTI calls can not be nested");
  c.conn.BeginTransaction();
  c.reply.Ok();
}

void Discard(CommandContext& c) {
  if (c.conn.TakeTransaction() == nullptr) return c.reply.Error("ERR DISCARD without MULTI");
  UnwatchAll(&c.conn.watch_state());
  c.reply.Ok();
}

// Whether a watched key that was live when watched has expired since (the
// set's shards locked): EXEC then aborts, as in Redis.
bool WatchedKeyExpired(CommandContext& c) {
  bool expired = false;
  Keyspace& ks = c.server.keyspace();
  ForEachWatchedKey(&c.conn.watch_state(), [&](const WatchState::Key& k) {
    if (k.expired) return;
    KeyRef ref = KeyRef::Of(k.key);
    const Entry* e = ks.db(k.db).shard_for(ref).table().Find(ref.key, ref.hash);
    expired = expired || (e != nullptr && e->has_expire() && c.now_ms > e->expire_ms());
  });
  return expired;
}

// WATCH key [key ...]
void Watch(CommandContext& c) {
  if (c.conn.in_transaction()) return c.reply.Error("ERR WATCH inside MULTI is not allowed");
  WatchState& w = c.conn.watch_state();
  // A client already dirty fails its EXEC anyway.
  if (!w.dirty.load(std::memory_order_relaxed)) {
    for (size_t i = 1; i < c.argc(); ++i) {
      KeyLock k(c.db(), c.arg(i));
      const Entry* e = k.shard.table().Find(k.ref.key, k.ref.hash);
      bool expired = e != nullptr && e->has_expire() && c.now_ms > e->expire_ms();
      WatchKey(&w, c.conn.db(), c.arg(i), expired);
    }
  }
  c.reply.Ok();
}

void Unwatch(CommandContext& c) {
  UnwatchAll(&c.conn.watch_state());
  c.reply.Ok();
}

void Exec(CommandContext& c) {
  std::unique_ptr<Connection::Transaction> tx = c.conn.TakeTransaction();
  if (tx == nullptr) return c.reply.Error("ERR EXEC without MULTI");
  WatchState& w = c.conn.watch_state();
  if (tx->aborted) {
    UnwatchAll(&w);
    return c.reply.Error("EXECABORT Transaction discarded because of previous errors.");
  }
  ShardSet set;
  AddShards(c, *tx, &set);
  set.Lock();
  // From here no other client can change a watched key.
  bool changed = w.dirty.load(std::memory_order_relaxed) || WatchedKeyExpired(c);
  UnwatchAll(&w);
  if (changed) return c.reply.NullArray();
  TransactionHold hold(set);
  bool deny_before = c.conn.deny_blocking;
  c.conn.deny_blocking = true;
  c.reply.ArrayHeader(tx->commands.size());
  std::vector<std::string_view> args;
  for (size_t i = 0; i < tx->commands.size(); ++i) {
    args.assign(tx->commands[i].begin(), tx->commands[i].end());
    c.conn.RunHandler(*tx->specs[i], args, c.now_ms);
  }
  c.conn.deny_blocking = deny_before;
}

CommandSpec Cmd(const char* name, uint32_t flags, const char* since, const char* summary,
                CommandHandler h, const char* complexity) {
  return MakeCommand(name, 1, flags, {}, "@transaction", "transactions", since, summary, h,
                     complexity);
}

}  // namespace

void RegisterTransactionFamily(CommandRegistry& r) {
  constexpr uint32_t kBase = kCmdNoScript | kCmdLoading | kCmdStale;
  r.Add(Cmd("multi", kBase | kCmdFast | kCmdAllowBusy, "1.2.0",
            "Mark the start of a transaction block", Multi, "O(1)"));
  r.Add(Cmd("exec", kBase | kCmdSkipSlowlog | kCmdOrdered, "1.2.0", "Execute all commands issued after MULTI",
            Exec, "Depends on commands in the transaction"));
  r.Add(MakeCommand("watch", -2, kBase | kCmdFast | kCmdAllowBusy, {1, -1, 1}, "@transaction",
                    "transactions", "2.2.0",
                    "Watch the given keys to determine execution of the MULTI/EXEC block", Watch,
                    "O(1) for every key."));
  r.Add(Cmd("unwatch", kBase | kCmdFast | kCmdAllowBusy, "2.2.0",
            "Forget about all watched keys", Unwatch, "O(1)"));
  r.Add(Cmd("discard", kBase | kCmdFast | kCmdAllowBusy, "2.0.0",
            "Discard all commands issued after MULTI", Discard,
            "O(N), when N is the number of queued commands"));
}

}  // namespace magpie
