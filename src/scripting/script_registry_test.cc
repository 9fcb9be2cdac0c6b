#include "scripting/script_registry.h"

#include <gtest/gtest.h>

#include "scripting/lua_vm.h"

namespace magpie {
namespace {

TEST(ScriptRegistryTest, Sha1HexMatchesKnownDigests) {
  EXPECT_EQ(ScriptRegistry::Sha1Hex("return 1"), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(ScriptRegistry::Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(ScriptRegistryTest, CacheAddFindFlush) {
  ScriptRegistry reg;
  uint64_t gen = reg.scripts_generation();
  auto s = reg.Add("abc", "return 1", false, 0);
  EXPECT_EQ(reg.Find("abc"), s);
  EXPECT_EQ(reg.Add("abc", "return 1", false, 0), s);  // the first copy stays
  EXPECT_EQ(reg.script_count(), 1u);
  reg.Flush();
  EXPECT_EQ(reg.Find("abc"), nullptr);
  EXPECT_NE(reg.scripts_generation(), gen);
}

TEST(ScriptRegistryTest, LearnedScopeOnlyWidens) {
  LearnedScope l;
  EXPECT_EQ(l.Get(), LockScope::kUnknown);
  l.Widen(LockScope::kDeclared);  // the first run replaces "unknown"
  EXPECT_EQ(l.Get(), LockScope::kDeclared);
  l.Widen(LockScope::kEverything);
  l.Widen(LockScope::kDatabase);
  EXPECT_EQ(l.Get(), LockScope::kEverything);
}

TEST(ScriptRegistryTest, KillNeedsABusyScriptThatDidNotWrite) {
  ScriptRegistry reg;
  EXPECT_EQ(reg.Kill(false), "NOTBUSY No scripts in execution right now.");
  BusyScript b;
  reg.AddBusy(&b);
  EXPECT_TRUE(reg.busy());
  EXPECT_EQ(reg.Kill(true), "NOTBUSY No scripts in execution right now.");  // not a function
  b.wrote = true;
  EXPECT_EQ(reg.Kill(false).rfind("UNKILLABLE ", 0), 0u);
  b.wrote = false;
  EXPECT_EQ(reg.Kill(false), "");
  EXPECT_TRUE(b.kill.load());
  reg.RemoveBusy(&b);
  EXPECT_FALSE(reg.busy());
}

TEST(ScriptRegistryTest, FlagNamesRoundTrip) {
  uint32_t f = 0;
  ASSERT_TRUE(ParseScriptFlag("no-writes", &f));
  EXPECT_EQ(f, kScriptNoWrites);
  EXPECT_FALSE(ParseScriptFlag("nowrites", &f));
  EXPECT_EQ(ScriptFlagNames(kScriptNoWrites | kScriptAllowOom),
            (std::vector<std::string>{"no-writes", "allow-oom"}));
}

TEST(LuaVmTest, ShebangParsing) {
  bool shebang = false;
  uint32_t flags = 0;
  EXPECT_EQ(LuaVm::ParseShebang("return 1", &shebang, &flags), "");
  EXPECT_FALSE(shebang);
  EXPECT_EQ(LuaVm::ParseShebang("#!lua flags=no-writes,allow-stale\nreturn 1", &shebang, &flags), "");
  EXPECT_TRUE(shebang);
  EXPECT_EQ(flags, kScriptNoWrites | kScriptAllowStale);
  EXPECT_EQ(LuaVm::ParseShebang("#!lua\nreturn 1", &shebang, &flags), "");
  EXPECT_EQ(flags, 0u);
  EXPECT_EQ(LuaVm::ParseShebang("#!js\n", &shebang, &flags),
            "ERR Unexpected engine in script shebang: #!js");
  EXPECT_EQ(LuaVm::ParseShebang("#!lua flags=bogus\n", &shebang, &flags),
            "ERR Unexpected flag in script shebang: bogus");
  EXPECT_EQ(LuaVm::ParseShebang("#!lua name=x\n", &shebang, &flags),
            "ERR Unknown lua shebang option: name=x");
  EXPECT_EQ(LuaVm::ParseShebang("#!lua", &shebang, &flags), "ERR Invalid script shebang");
}

}  // namespace
}  // namespace magpie
