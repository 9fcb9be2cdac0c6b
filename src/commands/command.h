// The declarative command table. Each family file (string_family.cc, ...)
// registers one row per command: name, arity, flags, key positions, ACL
// categories, docs and handler. COMMAND, COMMAND DOCS, COMMAND GETKEYS,
// INFO commandstats and dispatch all read this one table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/reply.h"

namespace magpie {

class Connection;
class Server;
class Db;

enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadOnly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubSub = 1u << 4,
  kCmdNoScript = 1u << 5,
  kCmdBlocking = 1u << 6,
  kCmdLoading = 1u << 7,
  kCmdStale = 1u << 8,
  kCmdSkipMonitor = 1u << 9,
  kCmdSkipSlowlog = 1u << 10,
  kCmdFast = 1u << 11,
  kCmdNoAuth = 1u << 12,
  kCmdMayReplicate = 1u << 13,
  kCmdNoMulti = 1u << 14,
  kCmdAllowBusy = 1u << 15,
  kCmdSentinel = 1u << 16,
  kCmdMovableKeys = 1u << 17,  // keys found by parsing (LMPOP, BLMPOP, ...)
  kCmdNoMandatoryKeys = 1u << 18,
  // Internal, not a Redis flag: allowed while a RESP2 client is subscribed.
  kCmdSubscribedOk = 1u << 19,
  // Internal: runs other commands (EXEC, EVAL, FCALL), so it holds the AOF
  // order across all of them (persistence/aof.h).
  kCmdOrdered = 1u << 20,
};

struct CommandContext;
using CommandHandler = void (*)(CommandContext&);

struct CommandSpec {
  std::string name;        // lowercase; "config|get" for a subcommand
  int arity = 0;           // Redis arity: n exact, -n at least n
  uint32_t flags = 0;
  int first_key = 0, last_key = 0, step = 0;
  std::string categories;  // explicit ACL categories, e.g. "@string @keyspace"
  std::string group;       // COMMAND DOCS group
  std::string since;
  std::string summary;
  std::string complexity;
  CommandHandler handler = nullptr;
  std::vector<std::unique_ptr<CommandSpec>> subcommands;
  CommandSpec* parent = nullptr;
  int id = -1;             // dense index for per-command statistics

  const CommandSpec* FindSub(std::string_view lower_name) const;
  // Every ACL category, explicit and derived from flags.
  std::vector<std::string> AllCategories() const;
  std::vector<std::string> FlagNames() const;
};

// Positions of a command's keys: first, last (negative: from the end), step.
struct KeyPositions {
  int first = 0, last = 0, step = 0;
};

// Builds one row of a family's registration table.
CommandSpec MakeCommand(const char* name, int arity, uint32_t flags, KeyPositions keys,
                        const char* categories, const char* group, const char* since,
                        const char* summary, CommandHandler handler, const char* complexity = "");

class CommandRegistry {
 public:
  CommandRegistry();
  CommandSpec& Add(CommandSpec spec);
  CommandSpec& AddSub(CommandSpec& parent, CommandSpec spec);
  // Finds a top-level command by its lowercase name.
  const CommandSpec* Find(std::string_view lower_name) const;
  const std::vector<const CommandSpec*>& all() const { return top_; }
  // Every command and subcommand, indexed by id.
  const std::vector<const CommandSpec*>& by_id() const { return by_id_; }

 private:
  std::vector<std::unique_ptr<CommandSpec>> owned_;
  std::vector<const CommandSpec*> top_;
  std::vector<const CommandSpec*> by_id_;
  // Looked up by string_view without building a std::string.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, const CommandSpec*, NameHash, std::equal_to<>> index_;
};

struct CommandContext {
  Server& server;
  Connection& conn;
  ReplyBuilder& reply;
  const std::vector<std::string_view>& args;
  const CommandSpec& spec;
  int64_t now_ms;

  Db& db();
  int db_index() const;  // the connection's current database
  size_t argc() const { return args.size(); }
  std::string_view arg(size_t i) const { return args[i]; }
};

// Shared error replies (Redis's exact strings).
namespace err {
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kNotInt = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbRange = "ERR DB index is out of range";
inline constexpr std::string_view kSameObject = "ERR source and destination objects are the same";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kStringTooBig =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
}  // namespace err

std::string WrongArityError(const CommandSpec& spec);
std::string UnknownSubcommandError(std::string_view sub, std::string_view container);
std::string UnknownCommandError(const std::vector<std::string_view>& args);

// Family registration, one per file.
void RegisterStringFamily(CommandRegistry& r);
void RegisterGenericFamily(CommandRegistry& r);
void RegisterConnectionFamily(CommandRegistry& r);
void RegisterServerFamily(CommandRegistry& r);
void RegisterListFamily(CommandRegistry& r);
void RegisterSetFamily(CommandRegistry& r);
void RegisterHashFamily(CommandRegistry& r);
void RegisterBitmapFamily(CommandRegistry& r);
void RegisterHllFamily(CommandRegistry& r);
void RegisterZSetFamily(CommandRegistry& r);
void RegisterGeoFamily(CommandRegistry& r);
void RegisterTransactionFamily(CommandRegistry& r);
void RegisterSortFamily(CommandRegistry& r);
void RegisterScriptFamily(CommandRegistry& r);
void RegisterPubSubFamily(CommandRegistry& r);
void RegisterPersistenceFamily(CommandRegistry& r);
void RegisterObservabilityFamily(CommandRegistry& r);
void RegisterDumpFamily(CommandRegistry& r);

}  // namespace magpie
