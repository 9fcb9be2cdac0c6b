// Pub/Sub: channels, patterns and shard channels, delivered across workers.
//
// A connection that subscribes gets a PubSubClient (owned by the
// connection). One process-wide registry maps each channel and shard
// channel to its subscribers in subscription order, and each pattern to its
// subscribers; it sits behind a reader/writer lock: PUBLISH (and keyspace
// notifications, tracking invalidations) take it shared, (UN)SUBSCRIBE
// exclusive. The lock is innermost: nothing is locked while it is held.
//
// Delivery never touches another worker's socket. A message for a
// subscriber owned by the publishing thread's worker is appended to its
// output buffer at once (and the worker flushes it at the end of the loop
// turn); one for a subscriber on another worker goes into this thread's
// outbox, one batch per target worker, which the worker posts once per
// loop turn (FlushOutbox). Batches of one publisher are posted in order and
// a worker runs its tasks in order, so each publisher's messages reach each
// subscriber in the order they were published. The target worker finds the
// subscriber by client id (it may have gone) and applies the pubsub class
// of client-output-buffer-limit after appending.
#pragma once

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace magpie {

class Connection;
class Server;
class Worker;

enum class SubKind { kChannel = 0, kPattern = 1, kShard = 2 };

// A connection's subscriptions. The sets change only on the owner's thread
// with the registry locked; the owner reads them without it.
struct PubSubClient {
  PubSubClient(Connection* c, Worker* w, uint64_t id) : conn(c), worker(w), client_id(id) {}
  Connection* conn;  // dereferenced only on `worker`'s thread
  Worker* worker;
  uint64_t client_id;
  std::atomic<bool> resp3{false};
  std::set<std::string, std::less<>> subs[3];  // by SubKind
  std::atomic<int> counts[3] = {0, 0, 0};      // sizes of subs, for CLIENT LIST
  size_t Count(SubKind k) const { return subs[static_cast<int>(k)].size(); }
};

// Adds one subscription; false if the client already had it.
bool Subscribe(PubSubClient* c, SubKind kind, std::string_view name);
// Removes one subscription; false if the client did not have it.
bool Unsubscribe(PubSubClient* c, SubKind kind, std::string_view name);
// Removes every subscription of the client (close, RESET).
void UnsubscribeAll(PubSubClient* c);

// PUBLISH / SPUBLISH: delivers to every subscriber of the channel (and, for
// kChannel, of every matching pattern); returns the number of receivers.
int64_t Publish(SubKind kind, std::string_view channel, std::string_view message);

// Whether any client subscribes to a (non-shard) channel or a pattern.
bool AnyChannelSubscribers();

// PUBSUB CHANNELS / SHARDCHANNELS: active channels matching the pattern
// (all when empty). PUBSUB NUMSUB / SHARDNUMSUB: subscribers of a channel.
std::vector<std::string> ActiveChannels(SubKind kind, std::string_view pattern, bool all);
int64_t NumSubscribers(SubKind kind, std::string_view channel);
// PUBSUB NUMPAT: distinct patterns; also INFO's counters.
int64_t NumPatterns();
int64_t NumChannels(SubKind kind);

// Sends raw reply bytes to the client with id `client_id` on `worker`, by the
// same path as a published message (tracking invalidations use it).
void DeliverTo(Worker* worker, uint64_t client_id, std::string_view bytes);

// Encodes a pubsub message frame: [kind, a, b] or [kind, a, b, c], as a
// push (RESP3) or an array (RESP2).
std::string EncodeMessage(bool resp3, std::string_view kind, std::string_view a,
                          std::string_view b, const std::string_view* c = nullptr);

// Called by each worker at the end of a loop turn: posts the batches this
// thread queued for other workers.
void FlushOutbox(Server& server);
// Tells the pubsub layer which worker the current thread runs.
void SetCurrentWorker(Worker* w);
Worker* CurrentWorker();

}  // namespace magpie
