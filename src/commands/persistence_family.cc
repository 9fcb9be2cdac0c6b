// Persistence commands: SAVE, BGSAVE, LASTSAVE (persistence/persistence.h).
// SHUTDOWN's final save and DEBUG RELOAD live with the server commands.
#include <string>

#include "commands/command.h"
#include "commands/helpers.h"
#include "persistence/aof.h"
#include "persistence/persistence.h"
#include "server/server.h"

namespace magpie {

namespace {

void Save(CommandContext& c) {
  std::string err = c.server.persistence().Save();
  if (err.empty()) return c.reply.Ok();
  if (err == "Background save already in progress") return c.reply.Error("ERR " + err);
  c.reply.Error("ERR");  // Redis's bare error: the reason is in the log and INFO
}

// BGSAVE [SCHEDULE]
void Bgsave(CommandContext& c) {
  bool schedule = false;
  if (c.argc() > 1) {
    if (c.argc() > 2 || !EqualsIgnoreCase(c.arg(1), "schedule")) return c.reply.Error(err::kSyntax);
    schedule = true;
  }
  Persistence& p = c.server.persistence();
  if (p.bgsave_in_progress()) return c.reply.Error("ERR Background save already in progress");
  // Inside EXEC the transaction holds shard locks the snapshot's cut needs:
  // the cron starts it right after, as Redis defers a BGSAVE inside MULTI.
  if (TransactionHold::active()) {
    p.Schedule();
    return c.reply.Simple("Background saving scheduled");
  }
  Persistence::BgsaveResult r = p.BackgroundSave(schedule);
  if (r == Persistence::BgsaveResult::kInProgress) {
    return c.reply.Error("ERR Background save already in progress");
  }
  if (r == Persistence::BgsaveResult::kBusy) {
    return c.reply.Error(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in "
        "order to schedule a BGSAVE whenever possible.");
  }
  c.reply.Simple(r == Persistence::BgsaveResult::kStarted ? "Background saving started"
                                                           : "Background saving scheduled");
}

void BgRewriteAof(CommandContext& c) {
  std::string err = c.server.aof().StartRewrite();
  if (err == Aof::kRewriteScheduled) return c.reply.Simple("Background append only file rewriting scheduled");
  if (!err.empty()) return c.reply.Error(err);
  c.reply.Simple("Background append only file rewriting started");
}

void LastSave(CommandContext& c) { c.reply.Int(c.server.persistence().lastsave()); }

CommandSpec Cmd(const char* name, int arity, uint32_t flags, const char* cats, const char* since,
                const char* summary, CommandHandler h) {
  return MakeCommand(name, arity, flags, {}, cats, "server", since, summary, h);
}

}  // namespace

void RegisterPersistenceFamily(CommandRegistry& r) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoScript;
  r.Add(Cmd("save", 1, kAdmin | kCmdNoMulti, "", "1.0.0", "Synchronously saves the database(s) to disk.", Save));
  r.Add(Cmd("bgsave", -1, kAdmin, "", "1.0.0", "Asynchronously saves the database(s) to disk.", Bgsave));
  r.Add(Cmd("bgrewriteaof", 1, kAdmin, "", "1.0.0", "Asynchronously rewrites the append-only file to disk.", BgRewriteAof));
  r.Add(Cmd("lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, "@admin @dangerous", "1.0.0", "Returns the Unix timestamp of the last successful save to disk.", LastSave));
}

}  // namespace magpie
