#include "server/blocking.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "commands/command.h"
#include "common/util.h"
#include "server/connection.h"
#include "server/worker.h"

namespace magpie {

// The parts of a BlockedClient only this file touches.
struct BlockingAccess {
  static Connection*& conn(BlockedClient& b) { return b.conn_; }
  static Worker* worker(BlockedClient& b) { return b.worker_; }
  static bool resp3(BlockedClient& b) { return b.resp3_; }
  static ServeFn& serve(BlockedClient& b) { return b.serve_; }
  static void SetTimer(BlockedClient& b, Worker::TimerId id) {
    b.has_timer_ = true;
    b.timer_when_ = id.when_us;
    b.timer_seq_ = id.seq;
  }
  static void TimerFired(BlockedClient& b) { b.has_timer_ = false; }
  static void CancelTimer(BlockedClient& b) {
    if (!b.has_timer_) return;
    b.has_timer_ = false;
    b.worker_->CancelTimer({b.timer_when_, b.timer_seq_});
  }
};

namespace {

using Waiters = std::deque<std::shared_ptr<BlockedClient>>;

struct Registry {
  std::mutex mu;
  // "<db as 4 bytes><key>" -> clients blocked on it, in arrival order.
  std::unordered_map<std::string, Waiters> by_key;
  std::unordered_map<uint64_t, std::shared_ptr<BlockedClient>> by_id;
};

Registry& Reg() {
  static Registry* r = new Registry();  // never destroyed: workers may outlive statics
  return *r;
}

// Blocked clients; read without the registry mutex on the push fast path
// (under the key's shard lock, which orders it against BlockClient).
std::atomic<size_t> g_blocked{0};

// Keys this thread signalled since its last ServeReadyKeys.
thread_local std::vector<std::pair<int, std::string>> t_ready;

std::string RegistryKey(int db, std::string_view key) {
  std::string k(sizeof(db), '\0');
  memcpy(k.data(), &db, sizeof(db));
  k.append(key);
  return k;
}

void Unregister(const std::shared_ptr<BlockedClient>& b) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  for (const std::string& key : b->keys()) {
    auto it = r.by_key.find(RegistryKey(b->db(), key));
    if (it == r.by_key.end()) continue;
    Waiters& w = it->second;
    for (auto wi = w.begin(); wi != w.end();) {
      wi = (*wi == b) ? w.erase(wi) : wi + 1;
    }
    if (w.empty()) r.by_key.erase(it);
  }
  auto id = r.by_id.find(b->client_id());
  if (id != r.by_id.end() && id->second == b) r.by_id.erase(id);
  g_blocked.fetch_sub(1, std::memory_order_relaxed);
}

// Owner worker: hands the reply to the connection and resumes it.
void Deliver(const std::shared_ptr<BlockedClient>& b, const std::string& reply) {
  Connection* c = BlockingAccess::conn(*b);
  if (c == nullptr) return;  // disconnected meanwhile
  BlockingAccess::conn(*b) = nullptr;
  BlockingAccess::CancelTimer(*b);
  if (!c->FinishBlock(reply)) BlockingAccess::worker(*b)->Close(c);
}

// After a successful Claim on any thread: forget the client and send the
// reply through its worker's task queue.
void Finish(const std::shared_ptr<BlockedClient>& b, std::string reply) {
  Unregister(b);
  BlockingAccess::worker(*b)->Post([b, reply = std::move(reply)] { Deliver(b, reply); });
}

std::string NullArrayReply(bool resp3) {
  std::string out;
  ReplyBuilder rb(&out);
  rb.set_resp3(resp3);
  rb.NullArray();
  return out;
}

void OnTimeout(const std::shared_ptr<BlockedClient>& b) {
  BlockingAccess::TimerFired(*b);
  if (!b->Claim()) return;
  Unregister(b);
  Deliver(b, NullArrayReply(BlockingAccess::resp3(*b)));
}

}  // namespace

BlockedClient::BlockedClient(Connection* conn, int db, bool resp3, std::vector<std::string> keys,
                             ServeFn serve)
    : conn_(conn),
      worker_(&conn->worker()),
      client_id_(conn->id()),
      db_(db),
      resp3_(resp3),
      keys_(std::move(keys)),
      serve_(std::move(serve)) {}

bool BlockedClient::Claim() {
  int expected = kWaiting;
  return state_.compare_exchange_strong(expected, kDone, std::memory_order_acq_rel);
}

std::optional<int64_t> ParseBlockTimeout(CommandContext& c, std::string_view arg) {
  auto v = ParseLongDouble(arg);
  if (!v) {
    c.reply.Error("ERR timeout is not a float or out of range");
    return std::nullopt;
  }
  // Redis rounds up to whole milliseconds; values beyond the 64-bit range
  // (inf included) come out of its conversion negative. 2^63 - 1 itself is
  // exact in a long double and accepted.
  long double ms = std::ceil(*v * 1000.0L);
  if (!(ms <= 9223372036854775807.0L) || ms < 0) {
    c.reply.Error("ERR timeout is negative");
    return std::nullopt;
  }
  return static_cast<int64_t>(ms);
}

bool CanBlock(CommandContext& c) { return !c.conn.deny_blocking; }

void BlockClient(CommandContext& c, const std::vector<std::string_view>& keys, int64_t timeout_ms,
                 ServeFn serve) {
  std::vector<std::string> owned(keys.begin(), keys.end());
  auto b = std::make_shared<BlockedClient>(&c.conn, c.conn.db(), c.reply.resp3(), std::move(owned),
                                           std::move(serve));
  {
    Registry& r = Reg();
    std::lock_guard<std::mutex> lk(r.mu);
    for (const std::string& key : b->keys()) {
      Waiters& w = r.by_key[RegistryKey(b->db(), key)];
      if (w.empty() || w.back() != b) w.push_back(b);
    }
    r.by_id[b->client_id()] = b;
    g_blocked.fetch_add(1, std::memory_order_relaxed);
  }
  c.conn.BlockOn(b);
  // A deadline past the clock's range is as good as forever.
  if (timeout_ms > 0 && timeout_ms < INT64_MAX / 1000 - MonotonicUs() / 1000) {
    std::weak_ptr<BlockedClient> weak = b;
    BlockingAccess::SetTimer(*b, c.conn.worker().AddTimer(MonotonicUs() + timeout_ms * 1000, [weak] {
      if (auto s = weak.lock()) OnTimeout(s);
    }));
  }
}

void SignalKeyReady(int db, std::string_view key) {
  if (g_blocked.load(std::memory_order_relaxed) == 0) return;
  std::string k = RegistryKey(db, key);
  {
    Registry& r = Reg();
    std::lock_guard<std::mutex> lk(r.mu);
    if (r.by_key.find(k) == r.by_key.end()) return;
  }
  for (const auto& [d, name] : t_ready) {
    if (d == db && name == key) return;
  }
  t_ready.emplace_back(db, std::string(key));
}

void SignalBlockedKeysOf(int db) {
  if (g_blocked.load(std::memory_order_relaxed) == 0) return;
  std::vector<std::string> keys;
  {
    Registry& r = Reg();
    std::lock_guard<std::mutex> lk(r.mu);
    std::string prefix = RegistryKey(db, "");
    for (const auto& [rk, waiters] : r.by_key) {
      if (rk.compare(0, prefix.size(), prefix) == 0) keys.push_back(rk.substr(prefix.size()));
    }
  }
  for (const std::string& k : keys) SignalKeyReady(db, k);
}

bool HasReadyKeys() { return !t_ready.empty(); }

void ServeReadyKeys(Server& s) {
  if (t_ready.empty()) return;
  // Serving may signal more keys (BLMOVE pushes): they join the end.
  for (size_t i = 0; i < t_ready.size(); ++i) {
    int db = t_ready[i].first;
    std::string key = t_ready[i].second;
    std::string rk = RegistryKey(db, key);
    // Waiters of another kind (list vs sorted set) are passed over, as
    // Redis serves each key's type to the clients blocked for that type.
    std::vector<const BlockedClient*> passed;
    while (true) {
      std::shared_ptr<BlockedClient> b;
      {
        Registry& r = Reg();
        std::lock_guard<std::mutex> lk(r.mu);
        auto it = r.by_key.find(rk);
        if (it == r.by_key.end()) break;
        for (const auto& w : it->second) {
          if (w->waiting() && std::find(passed.begin(), passed.end(), w.get()) == passed.end()) {
            b = w;
            break;
          }
        }
      }
      if (b == nullptr) break;
      std::string out;
      ReplyBuilder rb(&out);
      rb.set_resp3(BlockingAccess::resp3(*b));
      ServeResult res = BlockingAccess::serve(*b)(s, *b, key, rb);
      if (res == ServeResult::kNotReady) break;
      if (res == ServeResult::kOtherKind) passed.push_back(b.get());
      if (res == ServeResult::kServed) Finish(b, std::move(out));
    }
  }
  t_ready.clear();
}

bool UnblockClient(uint64_t id, bool error) {
  std::shared_ptr<BlockedClient> b;
  {
    Registry& r = Reg();
    std::lock_guard<std::mutex> lk(r.mu);
    auto it = r.by_id.find(id);
    if (it == r.by_id.end()) return false;
    b = it->second;
  }
  if (!b->Claim()) return false;
  Finish(b, error ? std::string("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
                  : NullArrayReply(BlockingAccess::resp3(*b)));
  return true;
}

void AbandonBlocked(const std::shared_ptr<BlockedClient>& b) {
  BlockingAccess::conn(*b) = nullptr;
  BlockingAccess::CancelTimer(*b);
  if (b->Claim()) Unregister(b);
}

size_t BlockedClientCount() { return g_blocked.load(std::memory_order_relaxed); }

}  // namespace magpie
