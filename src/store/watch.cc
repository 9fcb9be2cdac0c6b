#include "store/watch.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace magpie {

namespace {

struct Registry {
  std::mutex mu;
  // "<db as 4 bytes><key>" -> the states watching it.
  std::unordered_map<std::string, std::vector<WatchState*>> by_key;
};

Registry& Reg() {
  static Registry* r = new Registry();  // never destroyed: workers may outlive statics
  return *r;
}

// Watched (db, key) pairs in the registry; read without the mutex on the
// write path.
std::atomic<size_t> g_watched{0};

std::string RegistryKey(int db, std::string_view key) {
  std::string k(sizeof(db), '\0');
  memcpy(k.data(), &db, sizeof(db));
  k.append(key);
  return k;
}

void MarkDirty(std::vector<WatchState*>& watchers, int db, std::string_view key, bool expiry) {
  for (WatchState* w : watchers) {
    if (expiry) {
      auto it = std::find_if(w->keys.begin(), w->keys.end(),
                             [&](const WatchState::Key& k) { return k.db == db && k.key == key; });
      if (it != w->keys.end() && it->expired) {
        it->expired = false;  // deleted now: logically no change
        continue;
      }
    }
    w->dirty.store(true, std::memory_order_relaxed);
  }
}

}  // namespace

void WatchKey(WatchState* w, int db, std::string_view key, bool expired) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  for (const auto& k : w->keys) {
    if (k.db == db && k.key == key) return;
  }
  w->keys.push_back({db, std::string(key), expired});
  r.by_key[RegistryKey(db, key)].push_back(w);
  g_watched.fetch_add(1, std::memory_order_relaxed);
}

void UnwatchAll(WatchState* w) {
  if (w->keys.empty()) {
    w->dirty.store(false, std::memory_order_relaxed);
    return;
  }
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  for (const auto& k : w->keys) {
    auto it = r.by_key.find(RegistryKey(k.db, k.key));
    if (it == r.by_key.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), w), v.end());
    if (v.empty()) r.by_key.erase(it);
    g_watched.fetch_sub(1, std::memory_order_relaxed);
  }
  w->keys.clear();
  w->dirty.store(false, std::memory_order_relaxed);
}

void ForEachWatchedKey(WatchState* w, const std::function<void(const WatchState::Key&)>& f) {
  std::lock_guard<std::mutex> lk(Reg().mu);
  for (const auto& k : w->keys) f(k);
}

void TouchWatchedKey(int db, std::string_view key, bool expiry) {
  if (g_watched.load(std::memory_order_relaxed) == 0) return;
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  auto it = r.by_key.find(RegistryKey(db, key));
  if (it != r.by_key.end()) MarkDirty(it->second, db, key, expiry);
}

void TouchWatchedKeysOf(int db, const std::function<bool(std::string_view)>& changed) {
  if (g_watched.load(std::memory_order_relaxed) == 0) return;
  Registry& r = Reg();
  std::lock_guard<std::mutex> lk(r.mu);
  std::string prefix = RegistryKey(db, "");
  for (auto& [rk, watchers] : r.by_key) {
    if (rk.compare(0, prefix.size(), prefix) != 0) continue;
    std::string_view key = std::string_view(rk).substr(prefix.size());
    if (changed(key)) MarkDirty(watchers, db, key, false);
  }
}

}  // namespace magpie
