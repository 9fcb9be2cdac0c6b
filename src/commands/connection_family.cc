// Connection commands: PING ECHO HELLO AUTH RESET and the CLIENT container.
#include <algorithm>
#include <string>

#include "commands/command.h"
#include "commands/helpers.h"
#include "pubsub/tracking.h"
#include "server/blocking.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/worker.h"

namespace magpie {

namespace {

constexpr const char* kServerVersion = "7.0.15";

void Ping(CommandContext& c) {
  if (c.argc() > 2) return c.reply.Error(WrongArityError(c.spec));
  if (c.conn.resp() == 2 && c.conn.subscribed()) {
    // A subscribed RESP2 client reads every reply as a message frame.
    c.reply.ArrayHeader(2);
    c.reply.Bulk("pong");
    return c.reply.Bulk(c.argc() == 2 ? c.arg(1) : "");
  }
  if (c.argc() == 2) return c.reply.Bulk(c.arg(1));
  c.reply.Simple("PONG");
}

void Echo(CommandContext& c) { c.reply.Bulk(c.arg(1)); }

// Checks a user/password pair against requirepass (the only user is
// "default"). Replies with Redis's error and returns false on failure.
bool CheckPassword(CommandContext& c, std::string_view user, std::string_view pass) {
  std::string required = c.server.config().requirepass();
  if (user == "default" && (required.empty() || pass == required)) return true;
  c.reply.Error(err::kWrongPass);
  return false;
}

void Auth(CommandContext& c) {
  if (c.argc() > 3) return c.reply.Error(err::kSyntax);
  if (c.argc() == 2) {
    if (c.server.config().requirepass().empty()) {
      return c.reply.Error(
          "ERR AUTH <password> called without any password configured for the default user. Are "
          "you sure your configuration is correct?");
    }
    if (!CheckPassword(c, "default", c.arg(1))) return;
  } else if (!CheckPassword(c, c.arg(1), c.arg(2))) {
    return;
  }
  c.conn.set_authenticated(true);
  c.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '!' && ch <= '~'; });
}

void SetName(CommandContext& c, std::string_view name) {
  std::lock_guard<std::mutex> lk(c.server.registry_mu());
  c.conn.name = std::string(name);
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void Hello(CommandContext& c) {
  int ver = c.conn.resp();
  if (c.argc() >= 2) {
    auto v = ParseInt64(c.arg(1));
    if (!v) return c.reply.Error("ERR Protocol version is not an integer or out of range");
    if (*v < 2 || *v > 3) return c.reply.Error("NOPROTO unsupported protocol version");
    ver = static_cast<int>(*v);
  }
  std::string_view user, pass, name;
  bool auth = false, setname = false;
  for (size_t i = 2; i < c.argc(); ++i) {
    size_t more = c.argc() - i - 1;
    if (EqualsIgnoreCase(c.arg(i), "auth") && more >= 2) {
      auth = true;
      user = c.arg(i + 1);
      pass = c.arg(i + 2);
      i += 2;
    } else if (EqualsIgnoreCase(c.arg(i), "setname") && more >= 1) {
      setname = true;
      name = c.arg(++i);
      if (!ValidClientName(name)) {
        return c.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      }
    } else {
      return c.reply.Error("ERR Syntax error in HELLO option '" + CStr(c.arg(i)) + "'");
    }
  }
  if (auth) {
    if (!CheckPassword(c, user, pass)) return;
    c.conn.set_authenticated(true);
  }
  if (!c.conn.authenticated()) {
    return c.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
        "protocol version at the same time");
  }
  if (setname) SetName(c, name);
  c.conn.set_resp(ver);
  c.reply.MapHeader(7);
  c.reply.Bulk("server");
  c.reply.Bulk("redis");
  c.reply.Bulk("version");
  c.reply.Bulk(kServerVersion);
  c.reply.Bulk("proto");
  c.reply.Int(ver);
  c.reply.Bulk("id");
  c.reply.Int(static_cast<int64_t>(c.conn.id()));
  c.reply.Bulk("mode");
  c.reply.Bulk("standalone");
  c.reply.Bulk("role");
  c.reply.Bulk("master");
  c.reply.Bulk("modules");
  c.reply.ArrayHeader(0);
}

// QUIT is answered by the dispatcher before any check (as Redis 7.0 does);
// this row exists so COMMAND lists it.
void Quit(CommandContext& c) {
  c.conn.CloseAfterReply();
  c.reply.Ok();
}

void Reset(CommandContext& c) {
  c.conn.ResetState();
  c.reply.Simple("RESET");
}

void ClientId(CommandContext& c) { c.reply.Int(static_cast<int64_t>(c.conn.id())); }

void ClientSetName(CommandContext& c) {
  if (!ValidClientName(c.arg(2))) {
    return c.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
  }
  SetName(c, c.arg(2));
  c.reply.Ok();
}

void ClientGetName(CommandContext& c) {
  std::string name;
  {
    std::lock_guard<std::mutex> lk(c.server.registry_mu());
    name = c.conn.name;
  }
  name.empty() ? c.reply.Null() : c.reply.Bulk(name);
}

void ClientSetInfo(CommandContext& c) {
  std::string_view attr = c.arg(2), value = c.arg(3);
  bool lib_name = EqualsIgnoreCase(attr, "lib-name");
  if (!lib_name && !EqualsIgnoreCase(attr, "lib-ver")) {
    return c.reply.Error("ERR Unrecognized option '" + CStr(attr) + "'");
  }
  if (!ValidClientName(value)) {
    return c.reply.Error("ERR " + std::string(lib_name ? "lib-name" : "lib-ver") +
                         " cannot contain spaces, newlines or special characters.");
  }
  std::lock_guard<std::mutex> lk(c.server.registry_mu());
  (lib_name ? c.conn.lib_name : c.conn.lib_ver) = std::string(value);
  c.reply.Ok();
}

void ClientInfo(CommandContext& c) {
  std::string line;
  {
    std::lock_guard<std::mutex> lk(c.server.registry_mu());
    line = c.conn.InfoLine(c.now_ms);
  }
  c.reply.Verbatim(line + "\n");
}

bool ValidClientType(std::string_view t) {
  return t == "normal" || t == "master" || t == "replica" || t == "slave" || t == "pubsub";
}

// A client's type for CLIENT LIST/KILL TYPE (registry mutex held).
std::string_view ClientType(const Connection& conn) {
  return conn.IsPubSubType() ? "pubsub" : "normal";
}

// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]
void ClientList(CommandContext& c) {
  std::vector<uint64_t> ids;
  std::string type;
  for (size_t i = 2; i < c.argc(); ++i) {
    if (EqualsIgnoreCase(c.arg(i), "type") && i + 1 < c.argc()) {
      type = ToLower(c.arg(++i));
      if (!ValidClientType(type)) return c.reply.Error("ERR Unknown client type '" + CStr(c.arg(i)) + "'");
    } else if (EqualsIgnoreCase(c.arg(i), "id") && i + 1 < c.argc()) {
      for (++i; i < c.argc(); ++i) {
        auto id = ParseInt64(c.arg(i));
        if (!id || *id <= 0) return c.reply.Error("ERR Invalid client ID");
        ids.push_back(static_cast<uint64_t>(*id));
      }
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  std::vector<std::pair<uint64_t, std::string>> lines;
  {
    std::lock_guard<std::mutex> lk(c.server.registry_mu());
    for (const auto& [id, conn] : c.server.clients()) {
      if (!type.empty() && type != ClientType(*conn)) continue;
      if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
      lines.emplace_back(id, conn->InfoLine(c.now_ms));
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& [id, l] : lines) out += l + "\n";
  c.reply.Verbatim(out);
}

// CLIENT KILL addr | CLIENT KILL [ID id] [ADDR a] [LADDR a] [TYPE t] [USER u]
// [SKIPME yes|no] [MAXAGE s]
void ClientKill(CommandContext& c) {
  bool old_form = c.argc() == 3;
  std::string addr, laddr, user;
  uint64_t id = 0;
  bool skipme = true;
  std::string type;
  int64_t maxage = 0;
  if (old_form) {
    addr = c.arg(2);
    skipme = false;
  } else {
    if (c.argc() % 2 != 0) return c.reply.Error(err::kSyntax);
    for (size_t i = 2; i + 1 < c.argc(); i += 2) {
      std::string_view opt = c.arg(i), val = c.arg(i + 1);
      if (EqualsIgnoreCase(opt, "id")) {
        auto v = ParseInt64(val);
        if (!v || *v <= 0) return c.reply.Error("ERR client-id should be greater than 0");
        id = static_cast<uint64_t>(*v);
      } else if (EqualsIgnoreCase(opt, "addr")) {
        addr = val;
      } else if (EqualsIgnoreCase(opt, "laddr")) {
        laddr = val;
      } else if (EqualsIgnoreCase(opt, "user")) {
        user = val;
      } else if (EqualsIgnoreCase(opt, "type")) {
        type = ToLower(val);
        if (!ValidClientType(type)) return c.reply.Error("ERR Unknown client type '" + CStr(val) + "'");
      } else if (EqualsIgnoreCase(opt, "skipme")) {
        if (EqualsIgnoreCase(val, "yes")) {
          skipme = true;
        } else if (EqualsIgnoreCase(val, "no")) {
          skipme = false;
        } else {
          return c.reply.Error(err::kSyntax);
        }
      } else if (EqualsIgnoreCase(opt, "maxage")) {
        auto v = ParseInt64(val);
        if (!v || *v <= 0) return c.reply.Error(err::kSyntax);
        maxage = *v;
      } else {
        return c.reply.Error(err::kSyntax);
      }
    }
  }
  std::vector<std::pair<Connection*, Worker*>> victims;
  {
    std::lock_guard<std::mutex> lk(c.server.registry_mu());
    for (const auto& [cid, conn] : c.server.clients()) {
      if (id != 0 && cid != id) continue;
      if (!addr.empty() && conn->addr() != addr) continue;
      if (!laddr.empty() && conn->laddr() != laddr) continue;
      if (!user.empty() && user != "default") continue;
      if (!type.empty() && type != ClientType(*conn)) continue;
      if (maxage > 0 && (c.now_ms - conn->created_ms()) / 1000 < maxage) continue;
      if (skipme && conn == &c.conn) continue;
      victims.emplace_back(conn, &conn->worker());
    }
    for (auto& [conn, worker] : victims) {
      if (conn == &c.conn) continue;
      conn->kill_requested.store(true);
      worker->Wake();
    }
  }
  bool self = std::any_of(victims.begin(), victims.end(), [&](auto& v) { return v.first == &c.conn; });
  if (self) c.conn.CloseAfterReply();
  if (old_form) {
    if (victims.empty()) return c.reply.Error("ERR No such client");
    return c.reply.Ok();
  }
  c.reply.Int(static_cast<int64_t>(victims.size()));
}

void ClientReply(CommandContext& c) {
  std::string_view mode = c.arg(2);
  if (EqualsIgnoreCase(mode, "on")) {
    c.conn.set_reply_mode(Connection::ReplyMode::kOn);
    c.reply.Ok();
  } else if (EqualsIgnoreCase(mode, "off")) {
    c.conn.set_reply_mode(Connection::ReplyMode::kOff);
  } else if (EqualsIgnoreCase(mode, "skip")) {
    // SKIP means nothing while replies are off altogether.
    if (c.conn.reply_mode() != Connection::ReplyMode::kOff) {
      c.conn.set_reply_mode(Connection::ReplyMode::kSkipThis);
    }
  } else {
    c.reply.Error(err::kSyntax);
  }
}

void ClientNoEvict(CommandContext& c) {
  if (EqualsIgnoreCase(c.arg(2), "on")) {
    c.conn.set_no_evict(true);
  } else if (EqualsIgnoreCase(c.arg(2), "off")) {
    c.conn.set_no_evict(false);
  } else {
    return c.reply.Error(err::kSyntax);
  }
  c.reply.Ok();
}

// CLIENT PAUSE timeout [WRITE|ALL]
void ClientPause(CommandContext& c) {
  auto timeout = ParseInt64(c.arg(2));
  if (!timeout) return c.reply.Error("ERR timeout is not an integer or out of range");
  if (*timeout < 0) return c.reply.Error("ERR timeout is negative");
  int type = PauseState::kAll;
  if (c.argc() == 4) {
    if (EqualsIgnoreCase(c.arg(3), "write")) {
      type = PauseState::kWrite;
    } else if (!EqualsIgnoreCase(c.arg(3), "all")) {
      return c.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
    }
  }
  PauseState& p = c.server.pause();
  int64_t until = *timeout > INT64_MAX - c.now_ms ? INT64_MAX : c.now_ms + *timeout;
  // A stricter pause (ALL over WRITE) or a later end wins, as in Redis.
  if (p.type.load() == PauseState::kAll && type == PauseState::kWrite && c.now_ms < p.until_ms.load()) {
    type = PauseState::kAll;
  }
  p.until_ms.store(std::max(until, c.now_ms < p.until_ms.load() ? p.until_ms.load() : 0));
  p.type.store(type);
  SetExpiryFrozen(true);
  c.reply.Ok();
}

void ClientUnpause(CommandContext& c) {
  c.server.Unpause();
  c.reply.Ok();
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]
void ClientUnblock(CommandContext& c) {
  auto id = IntArg(c, c.arg(2));
  if (!id) return;
  bool error = false;
  if (c.argc() == 4) {
    if (EqualsIgnoreCase(c.arg(3), "error")) {
      error = true;
    } else if (!EqualsIgnoreCase(c.arg(3), "timeout")) {
      return c.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  } else if (c.argc() > 4) {
    return c.reply.Error("ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.");
  }
  c.reply.Int(*id > 0 && UnblockClient(static_cast<uint64_t>(*id), error) ? 1 : 0);
}

// Whether two BCAST prefixes overlap (one starts the other).
bool PrefixesOverlap(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

// Redis's check that a client's BCAST prefixes never overlap.
bool CheckPrefixes(CommandContext& c, const std::vector<std::string>& existing,
                   const std::vector<std::string>& added) {
  for (size_t i = 0; i < added.size(); ++i) {
    for (const std::string& e : existing) {
      if (PrefixesOverlap(added[i], e)) {
        c.reply.Error("ERR Prefix '" + added[i] + "' overlaps with an existing prefix '" + e +
                      "'. Prefixes for a single client must not overlap.");
        return false;
      }
    }
    for (size_t j = i + 1; j < added.size(); ++j) {
      if (PrefixesOverlap(added[i], added[j])) {
        c.reply.Error("ERR Prefix '" + added[i] + "' overlaps with another provided prefix '" +
                      added[j] + "'. Prefixes for a single client must not overlap.");
        return false;
      }
    }
  }
  return true;
}

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
void ClientTracking(CommandContext& c) {
  bool on = EqualsIgnoreCase(c.arg(2), "on");
  if (!on && !EqualsIgnoreCase(c.arg(2), "off")) return c.reply.Error(err::kSyntax);
  TrackingOptions o;
  for (size_t i = 3; i < c.argc(); ++i) {
    std::string_view a = c.arg(i);
    bool more = i + 1 < c.argc();
    if (EqualsIgnoreCase(a, "redirect") && more) {
      auto id = IntArg(c, c.arg(++i));
      if (!id) return;
      o.redirect = static_cast<uint64_t>(*id);
    } else if (EqualsIgnoreCase(a, "prefix") && more) {
      o.prefixes.emplace_back(c.arg(++i));
    } else if (EqualsIgnoreCase(a, "bcast")) {
      o.bcast = true;
    } else if (EqualsIgnoreCase(a, "optin")) {
      o.optin = true;
    } else if (EqualsIgnoreCase(a, "optout")) {
      o.optout = true;
    } else if (EqualsIgnoreCase(a, "noloop")) {
      o.noloop = true;
    } else {
      return c.reply.Error(err::kSyntax);
    }
  }
  Connection::Tracking& t = c.conn.tracking();
  if (!on) {
    c.conn.DisableTracking();
    return c.reply.Ok();
  }
  if (!o.bcast && !o.prefixes.empty()) {
    return c.reply.Error("ERR PREFIX option requires BCAST mode to be enabled");
  }
  if (t.on && t.options.bcast != o.bcast) {
    return c.reply.Error(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
  }
  if (o.optin && o.optout) {
    return c.reply.Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
  }
  if (t.on && ((o.optin && t.options.optout) || (o.optout && t.options.optin))) {
    return c.reply.Error(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
  }
  if (o.bcast && (o.optin || o.optout)) {
    return c.reply.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
  }
  if (o.redirect != 0) {
    std::lock_guard<std::mutex> lk(c.server.registry_mu());
    if (c.server.clients().count(o.redirect) == 0) {
      return c.reply.Error("ERR The client ID you want redirect to does not exist");
    }
  }
  if (o.bcast && !CheckPrefixes(c, t.on ? t.options.prefixes : std::vector<std::string>{},
                                o.prefixes)) {
    return;
  }
  c.conn.EnableTracking(o);
  c.reply.Ok();
}

// CLIENT CACHING YES|NO: whether the next command's keys are tracked.
void ClientCaching(CommandContext& c) {
  const Connection::Tracking& t = c.conn.tracking();
  if (!t.on || !(t.options.optin || t.options.optout)) {
    return c.reply.Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
        "OPTOUT mode enabled");
  }
  if (EqualsIgnoreCase(c.arg(2), "yes")) {
    if (!t.options.optin) {
      return c.reply.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
  } else if (EqualsIgnoreCase(c.arg(2), "no")) {
    if (!t.options.optout) {
      return c.reply.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
  } else {
    return c.reply.Error(err::kSyntax);
  }
  c.conn.tracking().caching = true;
  c.reply.Ok();
}

int64_t TrackingRedirect(Connection& conn) {
  const Connection::Tracking& t = conn.tracking();
  return t.on ? static_cast<int64_t>(t.options.redirect) : -1;
}

void ClientGetRedir(CommandContext& c) { c.reply.Int(TrackingRedirect(c.conn)); }

void ClientTrackingInfo(CommandContext& c) {
  const Connection::Tracking& t = c.conn.tracking();
  std::vector<const char*> flags;
  if (!t.on) {
    flags.push_back("off");
  } else {
    flags.push_back("on");
    if (t.options.bcast) flags.push_back("bcast");
    if (t.options.optin) flags.push_back("optin");
    if (t.options.optin && t.caching) flags.push_back("caching-yes");
    if (t.options.optout) flags.push_back("optout");
    if (t.options.optout && t.caching) flags.push_back("caching-no");
    if (t.options.noloop) flags.push_back("noloop");
    if (c.conn.tracking_broken()) flags.push_back("broken_redirect");
  }
  c.reply.MapHeader(3);
  c.reply.Bulk("flags");
  c.reply.SetHeader(flags.size());
  for (const char* f : flags) c.reply.Bulk(f);
  c.reply.Bulk("redirect");
  c.reply.Int(TrackingRedirect(c.conn));
  c.reply.Bulk("prefixes");
  c.reply.ArrayHeader(t.options.prefixes.size());
  for (const std::string& p : t.options.prefixes) c.reply.Bulk(p);
}

void ClientHelp(CommandContext& c) {
  static const char* kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
      "GETNAME", "    Return the name of the current connection.",
      "ID", "    Return the ID of the current connection.",
      "INFO", "    Return information about the current client connection.",
      "KILL <ip:port>", "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
      "    * USER <username>", "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
      "    * ID <client-id>", "      Kill connections by client id.",
      "    * MAXAGE <maxage>", "      Kill connections older than the specified age.",
      "LIST [options ...]", "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
      "UNPAUSE", "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
      "SETNAME <name>", "    Assign the name <name> to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
      "SETINFO <option> <value>", "    Set client meta attr. Options are:",
      "    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]", "    Control server assisted client side caching.",
      "TRACKINGINFO", "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
      "HELP", "    Print this help."};
  c.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) c.reply.Simple(l);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, const char* since,
                const char* summary, CommandHandler h) {
  return MakeCommand(name, arity, flags, {}, "@connection", "connection", since, summary, h);
}

}  // namespace

void RegisterConnectionFamily(CommandRegistry& r) {
  constexpr uint32_t kLS = kCmdLoading | kCmdStale;
  constexpr uint32_t kA = kCmdAdmin | kCmdNoScript | kLS;
  r.Add(Cmd("ping", -1, kCmdFast | kCmdSentinel | kCmdSubscribedOk, "1.0.0", "Returns the server's liveliness response.", Ping));
  r.Add(Cmd("echo", 2, kCmdFast, "1.0.0", "Returns the given string.", Echo));
  r.Add(Cmd("auth", -2, kCmdNoScript | kLS | kCmdFast | kCmdNoAuth | kCmdSentinel | kCmdAllowBusy, "1.0.0", "Authenticates the connection.", Auth));
  r.Add(Cmd("hello", -1, kCmdNoScript | kLS | kCmdFast | kCmdNoAuth | kCmdSentinel | kCmdAllowBusy, "6.0.0", "Handshakes with the Redis server.", Hello));
  r.Add(Cmd("quit", -1, kCmdNoScript | kLS | kCmdFast | kCmdNoAuth | kCmdAllowBusy, "1.0.0", "Closes the connection.", Quit));
  r.Add(Cmd("reset", 1, kCmdNoScript | kLS | kCmdFast | kCmdNoAuth | kCmdSentinel | kCmdAllowBusy | kCmdSubscribedOk, "6.2.0", "Resets the connection.", Reset));

  CommandSpec& client = r.Add(Cmd("client", -2, kCmdSentinel, "2.4.0", "A container for client connection commands.", nullptr));
  r.AddSub(client, Cmd("id", 2, kCmdNoScript | kLS | kCmdSentinel, "5.0.0", "Returns the unique client ID of the connection.", ClientId));
  r.AddSub(client, Cmd("setname", 3, kCmdNoScript | kLS | kCmdSentinel, "2.6.9", "Sets the connection name.", ClientSetName));
  r.AddSub(client, Cmd("getname", 2, kCmdNoScript | kLS | kCmdSentinel, "2.6.9", "Returns the name of the connection.", ClientGetName));
  r.AddSub(client, Cmd("setinfo", 4, kCmdNoScript | kLS | kCmdSentinel, "7.2.0", "Sets information specific to the client or connection.", ClientSetInfo));
  r.AddSub(client, Cmd("info", 2, kCmdNoScript | kLS | kCmdSentinel, "6.2.0", "Returns information about the connection.", ClientInfo));
  r.AddSub(client, Cmd("list", -2, kA | kCmdSentinel, "2.4.0", "Lists open connections.", ClientList));
  r.AddSub(client, Cmd("kill", -3, kA | kCmdSentinel, "2.4.0", "Terminates open connections.", ClientKill));
  r.AddSub(client, Cmd("reply", 3, kCmdNoScript | kLS | kCmdSentinel, "3.2.0", "Instructs the server whether to reply to commands.", ClientReply));
  r.AddSub(client, Cmd("no-evict", 3, kA | kCmdSentinel, "7.0.0", "Sets the client eviction mode of the connection.", ClientNoEvict));
  r.AddSub(client, Cmd("pause", -3, kA | kCmdSentinel, "3.0.0", "Suspends commands processing.", ClientPause));
  r.AddSub(client, Cmd("unpause", 2, kA | kCmdSentinel, "6.2.0", "Resumes processing commands from paused clients.", ClientUnpause));
  r.AddSub(client, Cmd("unblock", -3, kA, "5.0.0", "Unblock a client blocked in a blocking command from a different connection", ClientUnblock));
  r.AddSub(client, Cmd("tracking", -3, kCmdNoScript | kLS, "6.0.0", "Controls server-assisted client-side caching for the connection.", ClientTracking));
  r.AddSub(client, Cmd("caching", 3, kCmdNoScript | kLS, "6.0.0", "Instructs the server whether to track the keys in the next request.", ClientCaching));
  r.AddSub(client, Cmd("getredir", 2, kCmdNoScript | kLS, "6.0.0", "Returns the client ID to which the connection's tracking notifications are redirected.", ClientGetRedir));
  r.AddSub(client, Cmd("trackinginfo", 2, kCmdNoScript | kLS, "6.2.0", "Returns information about server-assisted client-side caching for the connection.", ClientTrackingInfo));
  r.AddSub(client, Cmd("help", 2, kLS | kCmdSentinel, "5.0.0", "Returns helpful text about the different subcommands.", ClientHelp));
}

}  // namespace magpie
