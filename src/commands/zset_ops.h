// Sorted set operations shared with the families built on sorted sets (geo):
// the encoding limits, inserting under them, ZADD's apply-and-reply step and
// storing a freshly built result. Defined in zset_family.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "store/db.h"
#include "types/zset.h"

namespace magpie {

// zset-max-listpack-entries / -value at the time of the command.
struct ZLimits {
  size_t entries;
  size_t value;
};
ZLimits ZSetLimits(CommandContext& c);

// ZADD's options (GEOADD takes NX, XX and CH of them).
struct ZAddFlags {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
};

// Applies validated (score, member) pairs to the sorted set at `key` under
// the flags and replies as ZADD does (WRONGTYPE, NaN, counts).
void ZAddApply(CommandContext& c, std::string_view key,
               const std::vector<std::pair<double, std::string_view>>& items, const ZAddFlags& f);

// Builds a sorted set from distinct (member, score) pairs, inserted in the
// given order. `large` starts it in the large encoding; otherwise it starts
// as a listpack and converts on the way, as Redis's result sets do.
std::unique_ptr<ZSetValue> BuildZSet(const std::vector<std::pair<std::string, double>>& items,
                                     const ZLimits& lim, bool large);

// Stores a result under `key` (deleting the key when it is empty) and
// announces `event` ("del" when it deleted); the key's shard must be locked.
void StoreZSet(CommandContext& c, Shard& shard, const KeyRef& ref, std::string_view key,
               std::unique_ptr<ZSetValue> z, const char* event);

}  // namespace magpie
