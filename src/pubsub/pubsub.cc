#include "pubsub/pubsub.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "common/util.h"
#include "server/server.h"
#include "server/worker.h"

namespace magpie {

namespace {

using Subscribers = std::vector<PubSubClient*>;  // in subscription order

// Lets PUBLISH look a channel up by string_view, without a copy.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using ChannelMap = std::unordered_map<std::string, Subscribers, NameHash, std::equal_to<>>;

struct Registry {
  std::shared_mutex mu;
  ChannelMap channels;
  ChannelMap shard_channels;
  std::map<std::string, Subscribers, std::less<>> patterns;
};

// Channels plus patterns anybody subscribes to: keyspace notifications skip
// building their channel names when it is 0.
std::atomic<size_t> g_channels_and_patterns{0};

void UpdateCount(Registry& r) {
  g_channels_and_patterns.store(r.channels.size() + r.patterns.size(), std::memory_order_relaxed);
}

Registry& Reg() {
  static Registry* r = new Registry();  // never destroyed: workers may outlive statics
  return *r;
}

// Messages for other workers queued by this thread during a loop turn: one
// batch per target worker, the frames back to back in `bytes`.
struct Batch {
  struct Item {
    uint64_t client_id;
    size_t offset, len;
  };
  std::string bytes;
  std::vector<Item> items;
  // The id of the frame appended last (0: none), so one message for many
  // subscribers of the target is stored once.
  uint64_t last_frame = 0;
};

thread_local Worker* t_worker = nullptr;
thread_local std::vector<std::shared_ptr<Batch>> t_outbox;
thread_local bool t_outbox_used = false;
thread_local uint64_t t_frame_seq = 0;  // ids of the frames LazyFrames encodes

void RunBatch(Worker* w, const Batch& b) {
  for (const Batch::Item& it : b.items) {
    w->DeliverLocal(it.client_id, std::string_view(b.bytes).substr(it.offset, it.len));
  }
}

// `frame`: an id for bytes delivered to several clients (0: none).
void DeliverRemote(Worker* w, uint64_t client_id, std::string_view bytes, uint64_t frame) {
  if (t_worker == nullptr) {  // not a worker thread: no loop turn to batch on
    auto b = std::make_shared<Batch>();
    b->bytes.assign(bytes);
    b->items.push_back({client_id, 0, bytes.size()});
    w->Post([w, b] { RunBatch(w, *b); });
    return;
  }
  size_t i = static_cast<size_t>(w->index());
  if (t_outbox.size() <= i) t_outbox.resize(i + 1);
  if (t_outbox[i] == nullptr) t_outbox[i] = std::make_shared<Batch>();
  Batch& b = *t_outbox[i];
  if (frame == 0 || frame != b.last_frame) {
    b.bytes.append(bytes);
    b.last_frame = frame;
  }
  b.items.push_back({client_id, b.bytes.size() - bytes.size(), bytes.size()});
  t_outbox_used = true;
}

void Deliver(PubSubClient* c, std::string_view bytes, uint64_t frame) {
  if (c->worker == t_worker) {
    t_worker->DeliverLocal(c->conn, bytes);
  } else {
    DeliverRemote(c->worker, c->client_id, bytes, frame);
  }
}

ChannelMap& MapOf(Registry& r, SubKind k) {
  return k == SubKind::kShard ? r.shard_channels : r.channels;
}

void AppendBulk(std::string* out, std::string_view s) {
  out->push_back('$');
  out->append(std::to_string(s.size()));
  out->append("\r\n");
  out->append(s);
  out->append("\r\n");
}

// The frame for each protocol, encoded the first time a subscriber needs it.
class LazyFrames {
 public:
  LazyFrames(std::string_view kind, std::string_view a, std::string_view b,
             const std::string_view* c = nullptr)
      : kind_(kind), a_(a), b_(b), c_(c) {}
  void DeliverTo(PubSubClient* c) {
    int v = c->resp3.load(std::memory_order_relaxed) ? 1 : 0;
    if (frames_[v].empty()) {
      frames_[v] = EncodeMessage(v == 1, kind_, a_, b_, c_);
      ids_[v] = ++t_frame_seq;
    }
    Deliver(c, frames_[v], ids_[v]);
  }

 private:
  std::string_view kind_, a_, b_;
  const std::string_view* c_;
  std::string frames_[2];
  uint64_t ids_[2] = {0, 0};
};

void RemoveFrom(Subscribers& v, PubSubClient* c) { v.erase(std::remove(v.begin(), v.end(), c), v.end()); }

}  // namespace

std::string EncodeMessage(bool resp3, std::string_view kind, std::string_view a,
                          std::string_view b, const std::string_view* c) {
  std::string out;
  out.reserve(32 + kind.size() + a.size() + b.size() + (c ? c->size() : 0));
  out.push_back(resp3 ? '>' : '*');
  out.append(c ? "4\r\n" : "3\r\n");
  AppendBulk(&out, kind);
  AppendBulk(&out, a);
  AppendBulk(&out, b);
  if (c) AppendBulk(&out, *c);
  return out;
}

bool Subscribe(PubSubClient* c, SubKind kind, std::string_view name) {
  Registry& r = Reg();
  std::unique_lock<std::shared_mutex> lk(r.mu);
  auto& set = c->subs[static_cast<int>(kind)];
  if (!set.emplace(name).second) return false;
  c->counts[static_cast<int>(kind)].store(static_cast<int>(set.size()), std::memory_order_relaxed);
  if (kind == SubKind::kPattern) {
    auto it = r.patterns.find(name);
    if (it == r.patterns.end()) it = r.patterns.emplace(std::string(name), Subscribers{}).first;
    it->second.push_back(c);
  } else {
    MapOf(r, kind)[std::string(name)].push_back(c);
  }
  UpdateCount(r);
  return true;
}

bool Unsubscribe(PubSubClient* c, SubKind kind, std::string_view name) {
  Registry& r = Reg();
  std::unique_lock<std::shared_mutex> lk(r.mu);
  auto& set = c->subs[static_cast<int>(kind)];
  auto sit = set.find(name);
  if (sit == set.end()) return false;
  set.erase(sit);
  c->counts[static_cast<int>(kind)].store(static_cast<int>(set.size()), std::memory_order_relaxed);
  if (kind == SubKind::kPattern) {
    auto it = r.patterns.find(name);
    RemoveFrom(it->second, c);
    if (it->second.empty()) r.patterns.erase(it);
  } else {
    auto& m = MapOf(r, kind);
    auto it = m.find(name);
    RemoveFrom(it->second, c);
    if (it->second.empty()) m.erase(it);
  }
  UpdateCount(r);
  return true;
}

void UnsubscribeAll(PubSubClient* c) {
  for (int k = 0; k < 3; ++k) {
    std::vector<std::string> names(c->subs[k].begin(), c->subs[k].end());
    for (const std::string& n : names) Unsubscribe(c, static_cast<SubKind>(k), n);
  }
}

int64_t Publish(SubKind kind, std::string_view channel, std::string_view message) {
  Registry& r = Reg();
  std::shared_lock<std::shared_mutex> lk(r.mu);
  int64_t receivers = 0;
  auto& m = MapOf(r, kind);
  if (!m.empty()) {
    auto it = m.find(channel);
    if (it != m.end()) {
      LazyFrames frames(kind == SubKind::kShard ? "smessage" : "message", channel, message);
      for (PubSubClient* c : it->second) {
        frames.DeliverTo(c);
        ++receivers;
      }
    }
  }
  if (kind != SubKind::kChannel) return receivers;
  for (auto& [pattern, subs] : r.patterns) {
    if (!GlobMatch(pattern, channel)) continue;
    LazyFrames frames("pmessage", pattern, channel, &message);
    for (PubSubClient* c : subs) {
      frames.DeliverTo(c);
      ++receivers;
    }
  }
  return receivers;
}

std::vector<std::string> ActiveChannels(SubKind kind, std::string_view pattern, bool all) {
  Registry& r = Reg();
  std::shared_lock<std::shared_mutex> lk(r.mu);
  std::vector<std::string> out;
  for (const auto& [name, subs] : MapOf(r, kind)) {
    if (all || GlobMatch(pattern, name)) out.push_back(name);
  }
  return out;
}

int64_t NumSubscribers(SubKind kind, std::string_view channel) {
  Registry& r = Reg();
  std::shared_lock<std::shared_mutex> lk(r.mu);
  auto& m = MapOf(r, kind);
  auto it = m.find(channel);
  return it == m.end() ? 0 : static_cast<int64_t>(it->second.size());
}

int64_t NumPatterns() {
  Registry& r = Reg();
  std::shared_lock<std::shared_mutex> lk(r.mu);
  return static_cast<int64_t>(r.patterns.size());
}

int64_t NumChannels(SubKind kind) {
  Registry& r = Reg();
  std::shared_lock<std::shared_mutex> lk(r.mu);
  return static_cast<int64_t>(MapOf(r, kind).size());
}

void DeliverTo(Worker* worker, uint64_t client_id, std::string_view bytes) {
  if (worker == t_worker) {
    worker->DeliverLocal(client_id, bytes);
  } else {
    DeliverRemote(worker, client_id, bytes, 0);
  }
}

void FlushOutbox(Server& server) {
  if (!t_outbox_used) return;
  t_outbox_used = false;
  for (size_t i = 0; i < t_outbox.size(); ++i) {
    if (t_outbox[i] == nullptr || t_outbox[i]->items.empty()) continue;
    Worker* w = &server.worker(static_cast<int>(i));
    std::shared_ptr<Batch> b = std::move(t_outbox[i]);
    w->Post([w, b] { RunBatch(w, *b); });
  }
}

bool AnyChannelSubscribers() { return g_channels_and_patterns.load(std::memory_order_relaxed) > 0; }

void SetCurrentWorker(Worker* w) { t_worker = w; }
Worker* CurrentWorker() { return t_worker; }

}  // namespace magpie
