// Keyspace notifications (notify-keyspace-events).
//
// Commands call NotifyKeyspaceEvent with the event class and Redis's event
// name for what they did ("set", "lpush", "del", "expired", ...), under the
// keys' shard locks, right after the change. When the class is enabled the
// event is published on __keyspace@<db>__:<key> (K) and/or
// __keyevent@<db>__:<event> (E) through the ordinary PUBLISH path, so
// subscribers on any worker get it in the order the changes happened on
// each worker. With notify-keyspace-events empty the cost is one relaxed
// atomic load.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

namespace magpie {

enum NotifyClass : int {
  kNotifyKeyspace = 1 << 0,  // K
  kNotifyKeyevent = 1 << 1,  // E
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m
  kNotifyModule = 1 << 12,   // d
  kNotifyNew = 1 << 13,      // n
  // A: every class but key-miss and new-key.
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// The enabled classes (the notify-keyspace-events directive).
extern std::atomic<int> g_notify_flags;

void PublishKeyspaceEvent(int flags, std::string_view event, std::string_view key, int db);

// Emits event `event` of class `cls` for `key` of database `db`. The
// eviction engine calls it as NotifyKeyspaceEvent(kNotifyEvicted,
// "evicted", key, db) for each key it evicts.
inline void NotifyKeyspaceEvent(int cls, std::string_view event, std::string_view key, int db) {
  int flags = g_notify_flags.load(std::memory_order_relaxed);
  if ((flags & cls) == 0) return;
  PublishKeyspaceEvent(flags, event, key, db);
}

// Parses a notify-keyspace-events value; false on an unknown character.
bool ParseNotifyFlags(std::string_view s, int* flags);
// The value as CONFIG GET shows it (Redis's order, "A" for all classes).
std::string NotifyFlagsToString(int flags);

}  // namespace magpie
