#include "pubsub/tracking.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>

#include "pubsub/pubsub.h"
#include "server/connection.h"
#include "server/server.h"

namespace magpie {

std::atomic<bool> g_tracking_active{false};

namespace {

using Ids = std::vector<uint64_t>;

struct Registry {
  std::mutex mu;
  std::unordered_map<std::string, Ids> table;  // key -> clients that read it
  size_t items = 0;                            // (key, client) pairs in table
  std::map<std::string, Ids, std::less<>> prefixes;  // BCAST prefix -> clients
  std::unordered_map<uint64_t, TrackingOptions> clients;
};

Registry& Reg() {
  static Registry* r = new Registry();  // never destroyed: workers may outlive statics
  return *r;
}

Server* g_server = nullptr;
thread_local uint64_t t_current = 0;
thread_local std::string* t_held = nullptr;
// BCAST: keys changed on this thread during the loop turn, by matching
// prefix, in key order, with the client that last changed each (for
// NOLOOP). Sent as one message per prefix and client at the end of the
// turn, as Redis does.
thread_local std::map<std::string, std::map<std::string, uint64_t>> t_bcast;

void UpdateActive(Registry& r) {
  g_tracking_active.store(!r.table.empty() || !r.prefixes.empty(), std::memory_order_relaxed);
}

void Deliver(Connection* c, std::string_view msg) {
  if (c->id() == t_current && t_held != nullptr) {
    t_held->append(msg);  // after the reply of the command that caused it
  } else {
    DeliverTo(&c->worker(), c->id(), msg);
  }
}

// Sends one invalidation for tracking client `id`: `keys` is the encoded
// key array, or empty for the null of a flush. Tracking mutex held.
void Send(uint64_t id, const TrackingOptions& o, std::string_view keys) {
  std::lock_guard<std::mutex> lk(g_server->registry_mu());
  const auto& clients = g_server->clients();
  auto self = clients.find(id);
  if (self == clients.end()) return;
  Connection* target = self->second;
  if (o.redirect != 0) {
    auto it = clients.find(o.redirect);
    if (it == clients.end()) {
      self->second->MarkTrackingBroken();
      if (self->second->resp_version() == 3) {
        Deliver(self->second,
                ">2\r\n$21\r\ntracking-redir-broken\r\n:" + std::to_string(o.redirect) + "\r\n");
      }
      return;
    }
    target = it->second;
  }
  std::string msg;
  if (target->resp_version() == 3) {
    msg = ">2\r\n$10\r\ninvalidate\r\n";
  } else if (o.redirect != 0 && target->IsPubSubType()) {
    msg = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";
  } else {
    return;  // RESP2 without a subscribed redirect: nowhere to send it
  }
  if (keys.empty()) {
    msg += self->second->resp_version() == 3 ? "_\r\n" : "$-1\r\n";
  } else {
    msg.append(keys);
  }
  Deliver(target, msg);
}

std::string KeyArray(std::string_view key) {
  std::string out = "*1\r\n$" + std::to_string(key.size()) + "\r\n";
  out.append(key);
  out += "\r\n";
  return out;
}

// Invalidates a key for the default-mode clients that read it and forgets
// it. `from_command`: a command changed it (NOLOOP applies).
void InvalidateTracked(Registry& r, std::unordered_map<std::string, Ids>::iterator it,
                       bool from_command) {
  std::string frame = KeyArray(it->first);
  Ids ids = std::move(it->second);
  r.items -= ids.size();
  r.table.erase(it);
  for (uint64_t id : ids) {
    auto c = r.clients.find(id);
    if (c == r.clients.end() || c->second.bcast) continue;
    if (from_command && c->second.noloop && id == t_current) continue;
    Send(id, c->second, frame);
  }
}

}  // namespace

void TrackingInit(Server* s) { g_server = s; }

void TrackingEnable(uint64_t client_id, const TrackingOptions& o) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  TrackingOptions& cur = r.clients[client_id];
  std::vector<std::string> prefixes = std::move(cur.prefixes);
  cur = o;
  std::vector<std::string> added = o.prefixes;
  if (o.bcast && added.empty()) added.emplace_back();  // no prefix: every key
  for (const std::string& p : added) {
    if (std::find(prefixes.begin(), prefixes.end(), p) != prefixes.end()) continue;
    prefixes.push_back(p);
    r.prefixes[p].push_back(client_id);
  }
  cur.prefixes = std::move(prefixes);
  UpdateActive(r);
}

void TrackingDisable(uint64_t client_id) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  auto it = r.clients.find(client_id);
  if (it == r.clients.end()) return;
  for (const std::string& p : it->second.prefixes) {
    auto pi = r.prefixes.find(p);
    if (pi == r.prefixes.end()) continue;
    Ids& ids = pi->second;
    ids.erase(std::remove(ids.begin(), ids.end(), client_id), ids.end());
    if (ids.empty()) r.prefixes.erase(pi);
  }
  r.clients.erase(it);
  UpdateActive(r);
}

void TrackingRememberKeys(uint64_t client_id, const std::vector<std::string_view>& keys) {
  if (keys.empty()) return;
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  for (std::string_view key : keys) {
    Ids& ids = r.table[std::string(key)];
    if (std::find(ids.begin(), ids.end(), client_id) != ids.end()) continue;
    ids.push_back(client_id);
    ++r.items;
  }
  // tracking-table-max-keys: forget keys (telling their readers) until the
  // table fits, as Redis's cron does.
  int64_t max = g_server->config().tracking_table_max_keys.load(std::memory_order_relaxed);
  while (max > 0 && static_cast<int64_t>(r.table.size()) > max) {
    InvalidateTracked(r, r.table.begin(), false);
  }
  UpdateActive(r);
}

void TrackingInvalidateKeySlow(std::string_view key) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  for (const auto& [prefix, ids] : r.prefixes) {
    if (key.substr(0, prefix.size()) == prefix) t_bcast[prefix][std::string(key)] = t_current;
  }
  auto it = r.table.find(std::string(key));
  if (it != r.table.end()) InvalidateTracked(r, it, true);
  UpdateActive(r);
}

void TrackingFlushBroadcasts() {
  if (t_bcast.empty()) return;
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  for (const auto& [prefix, changes] : t_bcast) {
    auto p = r.prefixes.find(prefix);
    if (p == r.prefixes.end()) continue;
    for (uint64_t id : p->second) {
      const TrackingOptions& o = r.clients[id];
      std::string keys;
      size_t n = 0;
      for (const auto& [key, writer] : changes) {
        if (o.noloop && writer == id) continue;
        keys += "$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
        ++n;
      }
      if (n > 0) Send(id, o, "*" + std::to_string(n) + "\r\n" + keys);
    }
  }
  t_bcast.clear();
}

void TrackingInvalidateAll() {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  for (const auto& [id, o] : r.clients) Send(id, o, "");
  r.table.clear();
  r.items = 0;
  UpdateActive(r);
}

void SetTrackingCurrentClient(uint64_t client_id, std::string* held) {
  t_current = client_id;
  t_held = held;
}

TrackingStats GetTrackingStats() {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  TrackingStats s;
  s.clients = static_cast<int64_t>(r.clients.size());
  s.keys = static_cast<int64_t>(r.table.size());
  s.items = static_cast<int64_t>(r.items);
  s.prefixes = static_cast<int64_t>(r.prefixes.size());
  return s;
}

}  // namespace magpie
