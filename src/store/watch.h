// WATCH: clients waiting for EXEC to find their watched keys unchanged.
//
// A client's WatchState lists its watched (db, key) pairs; a process-wide
// registry maps each watched pair to the states watching it. Every change
// to a key calls TouchWatchedKey (the shard does it from Insert, Replace,
// Detach, expiry and SetExpire; commands that change a value in place call
// Shard::Modified or go through ValueChange), which marks its watchers
// dirty; EXEC then aborts. Cheap when nobody watches: one relaxed load.
//
// Lock order: shard locks, then the registry mutex (innermost).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace magpie {

struct WatchState {
  struct Key {
    int db;
    std::string key;
    bool expired;  // already logically expired when watched
  };
  std::vector<Key> keys;
  std::atomic<bool> dirty{false};
};

// Adds (db, key) to the client's watched keys (no-op if already there).
void WatchKey(WatchState* w, int db, std::string_view key, bool expired);
// Forgets every key of the state (UNWATCH, EXEC, DISCARD, RESET, close).
void UnwatchAll(WatchState* w);
// Calls f(key) for each watched key of the state, with the registry locked
// (the `expired` flags change under it).
void ForEachWatchedKey(WatchState* w, const std::function<void(const WatchState::Key&)>& f);
// Key `key` of database `db` changed; `expiry` when the change is the
// deletion of an expired key (a key watched while already expired does not
// count as changed by it, as in Redis).
void TouchWatchedKey(int db, std::string_view key, bool expiry = false);
// Marks dirty the watchers of every key of database `db` for which
// `changed(key)` is true (FLUSHDB, SWAPDB). Call with the database locked.
void TouchWatchedKeysOf(int db, const std::function<bool(std::string_view)>& changed);

}  // namespace magpie
