// Server-assisted client-side caching (CLIENT TRACKING).
//
// One process-wide registry, behind one mutex, holds:
//  - the tracking table: key name -> ids of the clients that read it while
//    tracking (default mode). A key is forgotten once invalidated, as in
//    Redis, and like Redis the table ignores the database;
//  - the prefix table of BCAST clients: prefix -> ids;
//  - each tracking client's options (redirect, NOLOOP, BCAST, ...).
//
// A tracking client's read-only command remembers its keys *before* it
// runs: a write on another worker that lands between the read and the
// remembering could otherwise be missed (the client would cache a stale
// value); a write before the read only costs a spurious invalidation.
//
// Every change to a key reaches TrackingInvalidateKey through the shard's
// change hook (the same places that mark WATCHers dirty: writes, in-place
// changes, expiry, eviction), under the key's shard lock. The message goes
// to the client (RESP3 push "invalidate") or its REDIRECT client (RESP3
// push, or a RESP2 message on __redis__:invalidate if that client is
// subscribed), through the pubsub delivery path, so it crosses workers in
// order. BCAST clients get, at the end of the worker's loop turn, one
// message per matching prefix listing every key changed in that turn. For the client running the command that caused it, it is held
// until that command's reply is written, as Redis does.
//
// Cost when no client tracks: one relaxed atomic load per change.
// Lock order: shard locks, then the tracking mutex, then the server's
// client registry mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace magpie {

class Server;
class Worker;

struct TrackingOptions {
  bool bcast = false, optin = false, optout = false, noloop = false;
  uint64_t redirect = 0;  // 0: none
  std::vector<std::string> prefixes;
};

// Called once by the server so invalidations can find clients by id.
void TrackingInit(Server* s);

// CLIENT TRACKING ON (the caller validated the options); prefixes add to
// those already registered. OFF, RESET and disconnects call Disable.
void TrackingEnable(uint64_t client_id, const TrackingOptions& o);
void TrackingDisable(uint64_t client_id);

// Remembers that a tracking client (default or OPTIN/OPTOUT mode) is about
// to read these keys.
void TrackingRememberKeys(uint64_t client_id, const std::vector<std::string_view>& keys);

// A key changed (shard lock held).
extern std::atomic<bool> g_tracking_active;
void TrackingInvalidateKeySlow(std::string_view key);
inline void TrackingInvalidateKey(std::string_view key) {
  if (g_tracking_active.load(std::memory_order_relaxed)) TrackingInvalidateKeySlow(key);
}
// Sends the BCAST invalidations this thread collected (the worker calls it
// at the end of each loop turn).
void TrackingFlushBroadcasts();
// FLUSHALL / FLUSHDB: every tracking client gets an invalidation with a
// null key list, and the table is emptied.
void TrackingInvalidateAll();

// The client running a command on this thread (NOLOOP, and invalidations
// held until its reply), and where its held messages go.
void SetTrackingCurrentClient(uint64_t client_id, std::string* held);

// INFO: tracking_clients, tracking_total_keys/items/prefixes.
struct TrackingStats {
  int64_t clients = 0, keys = 0, items = 0, prefixes = 0;
};
TrackingStats GetTrackingStats();

}  // namespace magpie
