// Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and
// the PUBSUB container. The registry and cross-worker delivery live in
// pubsub/pubsub.h; this file parses arguments and writes Redis's replies
// (pushes in RESP3, arrays in RESP2).
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/helpers.h"
#include "pubsub/pubsub.h"
#include "server/connection.h"

namespace magpie {

namespace {

// The confirmation frame: [kind, name or null, count].
void ReplySubscription(CommandContext& c, std::string_view kind, const std::string_view* name,
                       int count) {
  c.reply.PushHeader(3);
  c.reply.Bulk(kind);
  name ? c.reply.Bulk(*name) : c.reply.Null();
  c.reply.Int(count);
}

int CountFor(Connection& conn, SubKind kind) {
  return kind == SubKind::kShard ? conn.shard_subscription_count() : conn.subscription_count();
}

void SubscribeTo(CommandContext& c, SubKind kind, std::string_view reply_kind) {
  PubSubClient& ps = c.conn.EnsurePubSub();
  for (size_t i = 1; i < c.argc(); ++i) {
    Subscribe(&ps, kind, c.arg(i));
    ReplySubscription(c, reply_kind, &c.args[i], CountFor(c.conn, kind));
  }
}

void UnsubscribeFrom(CommandContext& c, SubKind kind, std::string_view reply_kind) {
  PubSubClient* ps = c.conn.pubsub();
  if (c.argc() > 1) {
    for (size_t i = 1; i < c.argc(); ++i) {
      if (ps != nullptr) Unsubscribe(ps, kind, c.arg(i));
      ReplySubscription(c, reply_kind, &c.args[i], CountFor(c.conn, kind));
    }
    return;
  }
  // No argument: every subscription of this kind; a null name when none.
  std::vector<std::string> names;
  if (ps != nullptr) {
    const auto& set = ps->subs[static_cast<int>(kind)];
    names.assign(set.begin(), set.end());
  }
  if (names.empty()) return ReplySubscription(c, reply_kind, nullptr, CountFor(c.conn, kind));
  for (const std::string& n : names) {
    Unsubscribe(ps, kind, n);
    std::string_view name = n;
    ReplySubscription(c, reply_kind, &name, CountFor(c.conn, kind));
  }
}

void SubscribeCmd(CommandContext& c) { SubscribeTo(c, SubKind::kChannel, "subscribe"); }
void PSubscribeCmd(CommandContext& c) { SubscribeTo(c, SubKind::kPattern, "psubscribe"); }
void SSubscribeCmd(CommandContext& c) { SubscribeTo(c, SubKind::kShard, "ssubscribe"); }
void UnsubscribeCmd(CommandContext& c) { UnsubscribeFrom(c, SubKind::kChannel, "unsubscribe"); }
void PUnsubscribeCmd(CommandContext& c) { UnsubscribeFrom(c, SubKind::kPattern, "punsubscribe"); }
void SUnsubscribeCmd(CommandContext& c) { UnsubscribeFrom(c, SubKind::kShard, "sunsubscribe"); }

void PublishCmd(CommandContext& c) { c.reply.Int(Publish(SubKind::kChannel, c.arg(1), c.arg(2))); }
void SPublishCmd(CommandContext& c) { c.reply.Int(Publish(SubKind::kShard, c.arg(1), c.arg(2))); }

// PUBSUB CHANNELS|SHARDCHANNELS [pattern]
void ListChannels(CommandContext& c, SubKind kind) {
  if (c.argc() > 3) {
    return c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                         CStr(c.arg(1)) + "'. Try PUBSUB HELP.");
  }
  std::vector<std::string> names =
      ActiveChannels(kind, c.argc() == 3 ? c.arg(2) : "", c.argc() == 2);
  c.reply.ArrayHeader(names.size());
  for (const std::string& n : names) c.reply.Bulk(n);
}

void CountSubscribers(CommandContext& c, SubKind kind) {
  c.reply.ArrayHeader((c.argc() - 2) * 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    c.reply.Bulk(c.arg(i));
    c.reply.Int(NumSubscribers(kind, c.arg(i)));
  }
}

void PubSubChannels(CommandContext& c) { ListChannels(c, SubKind::kChannel); }
void PubSubShardChannels(CommandContext& c) { ListChannels(c, SubKind::kShard); }
void PubSubNumSub(CommandContext& c) { CountSubscribers(c, SubKind::kChannel); }
void PubSubShardNumSub(CommandContext& c) { CountSubscribers(c, SubKind::kShard); }
void PubSubNumPat(CommandContext& c) { c.reply.Int(NumPatterns()); }

void PubSubHelp(CommandContext& c) {
  static const char* kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help."};
  c.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) c.reply.Simple(l);
}

constexpr uint32_t kBase = kCmdPubSub | kCmdLoading | kCmdStale;
constexpr uint32_t kSub = kBase | kCmdNoScript | kCmdSubscribedOk;

CommandSpec Cmd(const char* name, int arity, uint32_t flags, KeyPositions keys, const char* since,
                const char* summary, CommandHandler h, const char* complexity) {
  return MakeCommand(name, arity, flags, keys, "", "pubsub", since, summary, h, complexity);
}

CommandSpec Sub(const char* name, int arity, const char* summary, CommandHandler h,
                const char* complexity, uint32_t flags = kBase) {
  return MakeCommand(name, arity, flags, {}, "", "pubsub", "2.8.0", summary, h, complexity);
}

}  // namespace

void RegisterPubSubFamily(CommandRegistry& r) {
  r.Add(Cmd("subscribe", -2, kSub, {}, "2.0.0", "Listen for messages published to channels",
            SubscribeCmd, "O(N) where N is the number of channels to subscribe to."));
  r.Add(Cmd("unsubscribe", -1, kSub, {}, "2.0.0",
            "Stop listening for messages posted to channels", UnsubscribeCmd,
            "O(N) where N is the number of clients already subscribed to a channel."));
  r.Add(Cmd("psubscribe", -2, kSub, {}, "2.0.0",
            "Listen for messages published to channels matching the given patterns",
            PSubscribeCmd, "O(N) where N is the number of patterns the client is already subscribed to."));
  r.Add(Cmd("punsubscribe", -1, kSub, {}, "2.0.0",
            "Stop listening for messages posted to channels matching the given patterns",
            PUnsubscribeCmd,
            "O(N+M) where N is the number of patterns the client is already subscribed and M is "
            "the number of total patterns subscribed in the system (by any client)."));
  r.Add(Cmd("ssubscribe", -2, kSub, {1, -1, 1}, "7.0.0",
            "Listen for messages published to the given shard channels", SSubscribeCmd,
            "O(N) where N is the number of shard channels to subscribe to."));
  r.Add(Cmd("sunsubscribe", -1, kSub, {1, -1, 1}, "7.0.0",
            "Stop listening for messages posted to the given shard channels", SUnsubscribeCmd,
            "O(N) where N is the number of clients already subscribed to a shard channel."));
  r.Add(Cmd("publish", 3, kBase | kCmdFast, {}, "2.0.0", "Post a message to a channel",
            PublishCmd,
            "O(N+M) where N is the number of clients subscribed to the receiving channel and M is "
            "the total number of subscribed patterns (by any client)."));
  r.Add(Cmd("spublish", 3, kBase | kCmdFast, {1, 1, 1}, "7.0.0",
            "Post a message to a shard channel", SPublishCmd,
            "O(N) where N is the number of clients subscribed to the receiving shard channel."));

  CommandSpec& ps = r.Add(MakeCommand("pubsub", -2, 0, {}, "", "pubsub", "2.8.0",
                                      "A container for Pub/Sub commands", nullptr,
                                      "Depends on subcommand."));
  r.AddSub(ps, Sub("channels", -2, "List active channels", PubSubChannels,
                   "O(N) where N is the number of active channels, and assuming constant time "
                   "pattern matching (relatively short channels and patterns)"));
  r.AddSub(ps, Sub("numsub", -2, "Get the count of subscribers for channels", PubSubNumSub,
                   "O(N) for the NUMSUB subcommand, where N is the number of requested channels"));
  r.AddSub(ps, Sub("numpat", 2, "Get the count of unique patterns pattern subscriptions",
                   PubSubNumPat, "O(1)"));
  CommandSpec& sc = r.AddSub(ps, Sub("shardchannels", -2, "List active shard channels",
                                     PubSubShardChannels,
                                     "O(N) where N is the number of active shard channels, and "
                                     "assuming constant time pattern matching (relatively short "
                                     "shard channels)."));
  sc.since = "7.0.0";
  CommandSpec& sn = r.AddSub(ps, Sub("shardnumsub", -2,
                                     "Get the count of subscribers for shard channels",
                                     PubSubShardNumSub,
                                     "O(N) for the SHARDNUMSUB subcommand, where N is the number "
                                     "of requested shard channels"));
  sn.since = "7.0.0";
  r.AddSub(ps, Sub("help", 2, "Show helpful text about the different subcommands", PubSubHelp,
                   "O(1)", kCmdLoading | kCmdStale));
}

}  // namespace magpie
