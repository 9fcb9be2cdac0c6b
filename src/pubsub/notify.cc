#include "pubsub/notify.h"

#include "pubsub/pubsub.h"

namespace magpie {

std::atomic<int> g_notify_flags{0};

namespace {

struct ClassChar {
  char ch;
  int flag;
};

// Redis's order when it prints the classes.
constexpr ClassChar kClasses[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString}, {'l', kNotifyList},   {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZset},   {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule}, {'n', kNotifyNew}};

}  // namespace

void PublishKeyspaceEvent(int flags, std::string_view event, std::string_view key, int db) {
  if (!AnyChannelSubscribers()) return;
  std::string prefix = "@" + std::to_string(db) + "__:";
  if (flags & kNotifyKeyspace) {
    std::string channel = "__keyspace" + prefix;
    channel.append(key);
    Publish(SubKind::kChannel, channel, event);
  }
  if (flags & kNotifyKeyevent) {
    std::string channel = "__keyevent" + prefix;
    channel.append(event);
    Publish(SubKind::kChannel, channel, key);
  }
}

bool ParseNotifyFlags(std::string_view s, int* flags) {
  int f = 0;
  for (char ch : s) {
    switch (ch) {
      case 'A': f |= kNotifyAll; continue;
      case 'K': f |= kNotifyKeyspace; continue;
      case 'E': f |= kNotifyKeyevent; continue;
      case 'm': f |= kNotifyKeyMiss; continue;
      default: break;
    }
    bool known = false;
    for (const ClassChar& c : kClasses) {
      if (c.ch == ch) {
        f |= c.flag;
        known = true;
      }
    }
    if (!known) return false;
  }
  *flags = f;
  return true;
}

std::string NotifyFlagsToString(int flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';  // Redis then omits 'n'
  } else {
    for (const ClassChar& c : kClasses) {
      if (flags & c.flag) out += c.ch;
    }
  }
  if (flags & kNotifyKeyspace) out += 'K';
  if (flags & kNotifyKeyevent) out += 'E';
  if (flags & kNotifyKeyMiss) out += 'm';
  return out;
}

}  // namespace magpie
