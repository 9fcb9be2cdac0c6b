#include "commands/command.h"

#include <cstdio>

#include "common/util.h"
#include "server/connection.h"
#include "server/server.h"

namespace magpie {

const CommandSpec* CommandSpec::FindSub(std::string_view lower_name) const {
  for (const auto& s : subcommands) {
    if (s->name.size() == name.size() + 1 + lower_name.size() &&
        std::string_view(s->name).substr(name.size() + 1) == lower_name) {
      return s.get();
    }
  }
  return nullptr;
}

std::vector<std::string> CommandSpec::FlagNames() const {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {kCmdWrite, "write"},         {kCmdReadOnly, "readonly"},       {kCmdDenyOom, "denyoom"},
      {kCmdAdmin, "admin"},         {kCmdPubSub, "pubsub"},           {kCmdNoScript, "noscript"},
      {kCmdBlocking, "blocking"},   {kCmdLoading, "loading"},         {kCmdStale, "stale"},
      {kCmdSkipMonitor, "skip_monitor"}, {kCmdSkipSlowlog, "skip_slowlog"}, {kCmdFast, "fast"},
      {kCmdNoAuth, "no_auth"},      {kCmdMayReplicate, "may_replicate"}, {kCmdNoMulti, "no_multi"},
      {kCmdAllowBusy, "allow_busy"}, {kCmdNoMandatoryKeys, "no_mandatory_keys"},
      {kCmdMovableKeys, "movablekeys"}};
  std::vector<std::string> out;
  for (const auto& [bit, n] : kNames) {
    if (flags & bit) out.emplace_back(n);
  }
  return out;
}

std::vector<std::string> CommandSpec::AllCategories() const {
  // Redis lists categories in the order of its category table.
  static const char* kOrder[] = {"@keyspace", "@read", "@write", "@set", "@sortedset", "@list",
                                 "@hash", "@string", "@bitmap", "@hyperloglog", "@geo", "@stream",
                                 "@pubsub", "@admin", "@fast", "@slow", "@blocking", "@dangerous",
                                 "@connection", "@transaction", "@scripting"};
  std::string have = " " + categories + " ";
  if (flags & kCmdWrite) have += " @write ";
  if (flags & kCmdReadOnly) have += " @read ";
  if (flags & kCmdAdmin) have += " @admin @dangerous ";
  if (flags & kCmdPubSub) have += " @pubsub ";
  if (flags & kCmdBlocking) have += " @blocking ";
  have += (flags & kCmdFast) ? " @fast " : " @slow ";
  std::vector<std::string> out;
  for (const char* c : kOrder) {
    if (have.find(std::string(" ") + c + " ") != std::string::npos) out.emplace_back(c);
  }
  return out;
}

CommandSpec MakeCommand(const char* name, int arity, uint32_t flags, KeyPositions keys,
                        const char* categories, const char* group, const char* since,
                        const char* summary, CommandHandler handler, const char* complexity) {
  CommandSpec s;
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.first_key = keys.first;
  s.last_key = keys.last;
  s.step = keys.step;
  s.categories = categories;
  s.group = group;
  s.since = since;
  s.summary = summary;
  s.complexity = complexity;
  s.handler = handler;
  return s;
}

CommandRegistry::CommandRegistry() {
  RegisterStringFamily(*this);
  RegisterGenericFamily(*this);
  RegisterConnectionFamily(*this);
  RegisterServerFamily(*this);
  RegisterListFamily(*this);
  RegisterSetFamily(*this);
  RegisterHashFamily(*this);
  RegisterBitmapFamily(*this);
  RegisterHllFamily(*this);
  RegisterZSetFamily(*this);
  RegisterGeoFamily(*this);
  RegisterTransactionFamily(*this);
  RegisterSortFamily(*this);
  RegisterScriptFamily(*this);
  RegisterPubSubFamily(*this);
  RegisterPersistenceFamily(*this);
  RegisterObservabilityFamily(*this);
  RegisterDumpFamily(*this);
}

CommandSpec& CommandRegistry::Add(CommandSpec spec) {
  owned_.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  CommandSpec* s = owned_.back().get();
  s->id = static_cast<int>(by_id_.size());
  by_id_.push_back(s);
  top_.push_back(s);
  index_[s->name] = s;
  return *s;
}

CommandSpec& CommandRegistry::AddSub(CommandSpec& parent, CommandSpec spec) {
  spec.name = parent.name + "|" + spec.name;
  parent.subcommands.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  CommandSpec* s = parent.subcommands.back().get();
  s->parent = &parent;
  if (s->group.empty()) s->group = parent.group;
  s->id = static_cast<int>(by_id_.size());
  by_id_.push_back(s);
  return *s;
}

const CommandSpec* CommandRegistry::Find(std::string_view lower_name) const {
  auto it = index_.find(lower_name);
  return it == index_.end() ? nullptr : it->second;
}

Db& CommandContext::db() { return server.keyspace().db(conn.db()); }
int CommandContext::db_index() const { return conn.db(); }

std::string WrongArityError(const CommandSpec& spec) {
  return "ERR wrong number of arguments for '" + spec.name + "' command";
}

std::string UnknownSubcommandError(std::string_view sub, std::string_view container) {
  std::string up(container);
  for (char& c : up) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return "ERR unknown subcommand '" + CStr(sub).substr(0, 128) + "'. Try " + up + " HELP.";
}

std::string UnknownCommandError(const std::vector<std::string_view>& args) {
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
    size_t room = 128 - list.size();
    list += "'" + CStr(args[i]).substr(0, room) + "' ";
  }
  return "ERR unknown command '" + CStr(args[0]).substr(0, 128) +
         "', with args beginning with: " + list;
}

}  // namespace magpie
