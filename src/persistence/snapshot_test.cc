// The snapshot's point-in-time guarantee: keys changed, deleted or created
// after Begin() appear in the image as they were at Begin(), and every key
// present then appears exactly once.
#include "persistence/snapshot.h"

#include <gtest/gtest.h>

#include <string>

#include "persistence/rdb_load.h"
#include "store/db.h"

namespace magpie {
namespace {

void Put(Keyspace& ks, int db, const std::string& key, const std::string& value) {
  KeyRef k = KeyRef::Of(key);
  Shard& s = ks.db(db).shard_for(k);
  std::lock_guard<ShardMutex> lk(s.mu());
  s.Upsert(k, Entry::NewString(k.key, value, -1), 0);
}

void Del(Keyspace& ks, int db, const std::string& key) {
  KeyRef k = KeyRef::Of(key);
  Shard& s = ks.db(db).shard_for(k);
  std::lock_guard<ShardMutex> lk(s.mu());
  s.Erase(k);
}

std::string Get(Keyspace& ks, int db, const std::string& key) {
  KeyRef k = KeyRef::Of(key);
  Shard& s = ks.db(db).shard_for(k);
  std::lock_guard<ShardMutex> lk(s.mu());
  Entry* e = s.Find(k, 0);
  return e == nullptr ? "<none>" : std::string(e->str());
}

std::string WriteAll(Snapshot& snap) {
  std::string image;
  EXPECT_EQ(snap.Write([&](std::string_view b) {
              image.append(b);
              return true;
            }),
            "");
  return image;
}

TEST(SnapshotTest, ImageIsThePointInTime) {
  Keyspace ks(4);
  for (int i = 0; i < 2000; ++i) Put(ks, i % 3, "key:" + std::to_string(i), "v" + std::to_string(i));
  Snapshot snap(ks, Snapshot::Options{});
  ASSERT_TRUE(snap.TryBegin());
  // After the cut: overwrite, delete, create, in every database.
  for (int i = 0; i < 2000; i += 7) Put(ks, i % 3, "key:" + std::to_string(i), "changed");
  for (int i = 1; i < 2000; i += 11) Del(ks, i % 3, "key:" + std::to_string(i));
  for (int i = 0; i < 300; ++i) Put(ks, 3, "new:" + std::to_string(i), "late");
  std::string image = WriteAll(snap);
  EXPECT_EQ(snap.keys_written(), 2000u);

  Keyspace loaded(4);
  RdbLoadResult r = LoadRdbBytes(image, "test", loaded, 0);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.keys_loaded, 2000u);
  for (int i = 0; i < 2000; ++i) {
    EXPECT_EQ(Get(loaded, i % 3, "key:" + std::to_string(i)), "v" + std::to_string(i)) << i;
  }
  EXPECT_EQ(loaded.db(3).size(), 0u);
  // The live keyspace kept the changes, and no shard still has an observer.
  EXPECT_EQ(Get(ks, 0, "key:0"), "changed");
  for (uint32_t s = 0; s < kNumShards; ++s) EXPECT_EQ(ks.db(0).shard(s).observer(), nullptr);
}

TEST(SnapshotTest, FlushDuringSnapshotKeepsTheImage) {
  Keyspace ks(1);
  for (int i = 0; i < 500; ++i) Put(ks, 0, "k" + std::to_string(i), "x");
  Snapshot snap(ks, Snapshot::Options{});
  ASSERT_TRUE(snap.TryBegin());
  FlushDatabases(ks, 0, 0, false);
  std::string image = WriteAll(snap);
  Keyspace loaded(1);
  RdbLoadResult r = LoadRdbBytes(image, "test", loaded, 0);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.keys_loaded, 500u);
  EXPECT_EQ(ks.db(0).size(), 0u);
}

TEST(SnapshotTest, FailedWriteRemovesObservers) {
  Keyspace ks(1);
  for (int i = 0; i < 100; ++i) Put(ks, 0, "k" + std::to_string(i), "x");
  Snapshot snap(ks, Snapshot::Options{});
  ASSERT_TRUE(snap.TryBegin());
  EXPECT_NE(snap.Write([](std::string_view) { return false; }), "");
  for (uint32_t s = 0; s < kNumShards; ++s) EXPECT_EQ(ks.db(0).shard(s).observer(), nullptr);
}

TEST(RdbLoadTest, RejectsDamageWithOffset) {
  Keyspace ks(1);
  Put(ks, 0, "a", "1");
  Snapshot snap(ks, Snapshot::Options{});
  ASSERT_TRUE(snap.TryBegin());
  std::string image = WriteAll(snap);
  Keyspace target(1);
  RdbLoadResult r = LoadRdbBytes(image.substr(0, image.size() - 3), "dump.rdb", target, 0);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("dump.rdb"), std::string::npos);
  EXPECT_NE(r.error.find("offset"), std::string::npos);
  std::string flipped = image;
  flipped[flipped.size() / 2] ^= 0x20;
  r = LoadRdbBytes(flipped, "dump.rdb", target, 0);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(target.db(0).size(), 0u);  // nothing partial
}

}  // namespace
}  // namespace magpie
