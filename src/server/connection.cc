#include "server/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "commands/command.h"
#include "common/stats.h"
#include "common/util.h"
#include "persistence/aof.h"
#include "persistence/persistence.h"
#include "pubsub/pubsub.h"
#include "server/blocking.h"
#include "server/log.h"
#include "server/monitor.h"
#include "server/server.h"
#include "server/worker.h"
#include "store/evict.h"

namespace magpie {

namespace {
constexpr size_t kReadChunk = 16 * 1024;
// Read at most this much per round before running the commands it holds, so
// a huge pipeline is executed while it streams in rather than buffered whole.
constexpr size_t kReadRound = 256 * 1024;
constexpr size_t kKeepOutputCapacity = 64 * 1024;
}  // namespace

Connection::Connection(Worker& worker, int fd, uint64_t id, std::string addr, std::string laddr,
                       bool memcache)
    : worker_(worker),
      fd_(fd),
      id_(id),
      addr_(std::move(addr)),
      laddr_(std::move(laddr)),
      created_ms_(NowMs()),
      reply_(&out_) {
  last_interaction_ms_ = created_ms_;
  set_authenticated(server().config().requirepass().empty());
  if (memcache) {
    memcache_ = std::make_unique<MemcacheSession>(server());
    server().memcache_connections().fetch_add(1);
    LocalStats().mc[kMcTotalConnections].Add();
  }
}

Connection::~Connection() {
  UnwatchAll(&watch_);
  if (pubsub_) UnsubscribeAll(pubsub_.get());
  if (tracking_.on) TrackingDisable(id_);
  if (is_monitor()) RemoveMonitor(id_);
  if (blocked_) AbandonBlocked(blocked_);
  if (memcache_) server().memcache_connections().fetch_sub(1);
  close(fd_);
}

Server& Connection::server() { return worker_.server(); }

void Connection::set_resp(int v) {
  resp_ = v;
  resp_atomic_.store(v, std::memory_order_relaxed);
  reply_.set_resp3(v == 3);
  if (pubsub_) pubsub_->resp3.store(v == 3, std::memory_order_relaxed);
}

PubSubClient& Connection::EnsurePubSub() {
  if (!pubsub_) {
    std::lock_guard<std::mutex> lk(server().registry_mu());  // InfoLine reads pubsub_
    pubsub_ = std::make_unique<PubSubClient>(this, &worker_, id_);
    pubsub_->resp3.store(resp_ == 3, std::memory_order_relaxed);
  }
  return *pubsub_;
}

int Connection::subscription_count() const {
  if (!pubsub_) return 0;
  return static_cast<int>(pubsub_->Count(SubKind::kChannel) + pubsub_->Count(SubKind::kPattern));
}

int Connection::shard_subscription_count() const {
  return pubsub_ ? static_cast<int>(pubsub_->Count(SubKind::kShard)) : 0;
}

ClientClass Connection::output_class() const {
  return subscribed() ? ClientClass::kPubSub : ClientClass::kNormal;
}

bool Connection::AppendPushed(std::string_view bytes) {
  out_.append(bytes);
  if (pushed_pending_) return false;
  pushed_pending_ = true;
  return true;
}

bool Connection::FlushPushed() {
  pushed_pending_ = false;
  if (!Flush()) return false;
  if (close_after_reply_ && out_sent_ == out_.size()) return false;
  return CheckOutputLimits();
}

void Connection::set_authenticated(bool v) {
  authenticated_ = v;
  parser_.set_authenticated(v);
}

void Connection::ResetState() {
  TakeTransaction();
  UnwatchAll(&watch_);
  if (pubsub_) UnsubscribeAll(pubsub_.get());
  DisableTracking();
  if (is_monitor()) {
    RemoveMonitor(id_);
    monitor_.store(false, std::memory_order_relaxed);
  }
  set_db(0);
  set_resp(2);
  reply_mode_ = ReplyMode::kOn;
  no_evict_ = false;
  {
    std::lock_guard<std::mutex> lk(server().registry_mu());
    name.clear();
  }
  set_authenticated(server().config().requirepass().empty());
}

bool Connection::OnReadable() {
  // A client that keeps its socket full gets a few rounds per turn, then
  // yields to the worker's other clients (and its cron).
  constexpr int kRoundsPerTurn = 4;
  more_input_ = false;
  int rounds = 0;
  while (!paused_) {
    if (++rounds > kRoundsPerTurn) {
      more_input_ = true;
      break;
    }
    size_t got = 0;
    bool again = false, eof = false;
    while (got < kReadRound) {
      size_t want = kReadChunk;
      size_t wanted = parser_.bytes_wanted();
      if (wanted > in_.size()) want = std::max(want, std::min<size_t>(wanted - in_.size(), kReadRound));
      char* space = in_.WritableSpace(want);
      ssize_t n = read(fd_, space, in_.writable());
      if (n > 0) {
        in_.Commit(static_cast<size_t>(n));
        got += static_cast<size_t>(n);
        continue;
      }
      if (n == 0) {  // peer closed: still run what it sent before closing
        eof = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        again = true;
        break;
      }
      return false;
    }
    if (got > 0) {
      LocalStats().net_input_bytes.Add(got);
      last_interaction_ms_.store(NowMs(), std::memory_order_relaxed);
    }
    if (static_cast<int64_t>(in_.size()) > server().config().client_query_buffer_limit.load()) {
      LOG_WARNING("Closing client that reached max query buffer length: id=%llu addr=%s (qbuf initial bytes: %zu)",
                  static_cast<unsigned long long>(id_), addr_.c_str(), in_.size());
      LocalStats().client_qbuf_limit_disconnections.Add();
      return false;
    }
    bool ok = ProcessInput();
    if (!Flush() || !ok || eof) return false;
    if (close_after_reply_ && out_sent_ == out_.size()) return false;
    if (!CheckOutputLimits()) return false;
    if (again) break;
  }
  PublishInfo();
  return true;
}

bool Connection::OnWritable() {
  if (!Flush()) return false;
  if (close_after_reply_ && out_sent_ == out_.size()) return false;
  return true;
}

bool Connection::Resume() {
  paused_ = false;
  bool ok = ProcessInput();
  if (!Flush() || !ok) return false;
  if (close_after_reply_ && out_sent_ == out_.size()) return false;
  if (paused_) return true;
  // Bytes may have arrived while paused (edge-triggered: no new event).
  return OnReadable();
}

void Connection::BlockOn(std::shared_ptr<BlockedClient> b) {
  blocked_ = std::move(b);
  blocked_flag_.store(true, std::memory_order_relaxed);
}

bool Connection::FinishBlock(std::string_view reply) {
  blocked_.reset();
  blocked_flag_.store(false, std::memory_order_relaxed);
  if (!blocked_discard_reply_) out_.append(reply);
  return Resume();
}

bool Connection::ProcessInput() {
  if (memcache_) {
    if (!memcache_->Process(in_, out_)) close_after_reply_ = true;
    return true;
  }
  parser_.set_max_bulk_len(server().config().proto_max_bulk_len.load(std::memory_order_relaxed));
  while (!in_.empty() && !close_after_reply_ && !paused_ && !blocked_) {
    size_t consumed = 0;
    RespParser::Status st = parser_.Parse(in_.data(), in_.size(), &consumed, &args_);
    if (st == RespParser::Status::kNeedMore) break;
    if (st == RespParser::Status::kError) {
      reply_.Error("ERR " + parser_.error());
      LOG_VERBOSE("Protocol error (%s) from client: id=%llu addr=%s", parser_.error().c_str(),
                  static_cast<unsigned long long>(id_), addr_.c_str());
      in_.Consume(in_.size());
      close_after_reply_ = true;
      return true;
    }
    if (!args_.empty()) {
      Execute(args_);
      if (paused_) break;  // the command stays in the buffer until resumed
      if (blocked_) {
        // Done parsing it; its reply comes when it unblocks.
        in_.Consume(consumed);
        break;
      }
      if (OverHardOutputLimit()) {
        // Stop before the next command adds more: the client goes, and so
        // does everything it was owed.
        LOG_WARNING("Client id=%llu addr=%s closed for overcoming of output buffer limits.",
                    static_cast<unsigned long long>(id_), addr_.c_str());
        LocalStats().client_outbuf_limit_disconnections.Add();
        std::string().swap(out_);
        out_sent_ = 0;
        return false;
      }
    }
    in_.Consume(consumed);
  }
  if (in_.empty()) in_.ShrinkIfEmpty(kReadRound);
  return true;
}

bool Connection::ShouldPostpone(const CommandSpec& spec) const {
  PauseState& p = const_cast<Connection*>(this)->server().pause();
  int type = p.type.load(std::memory_order_relaxed);
  if (type == PauseState::kNone) return false;
  if (NowMs() >= p.until_ms.load(std::memory_order_relaxed)) return false;
  if (type == PauseState::kAll) return true;
  return (spec.flags & (kCmdWrite | kCmdMayReplicate)) != 0;
}

void Connection::Execute(const std::vector<std::string_view>& args) {
  ReplyMode mode_before = reply_mode_;
  size_t mark = out_.size();
  SetTrackingCurrentClient(id_, &held_pushes_);
  Dispatch(args);
  SetTrackingCurrentClient(0, nullptr);
  // CLIENT CACHING applies to the next command only (all of a MULTI's).
  if (tracking_.caching && tx_ == nullptr && !EqualsIgnoreCase(args[0], "client")) {
    tracking_.caching = false;
  }
  if (paused_) return;
  if (blocked_) {
    blocked_discard_reply_ = reply_mode_ == ReplyMode::kOff || reply_mode_ == ReplyMode::kSkipThis ||
                             (mode_before == ReplyMode::kSkipNext && reply_mode_ == ReplyMode::kSkipNext);
  }
  if (reply_mode_ == ReplyMode::kOff) {
    out_.resize(mark);
  } else if (reply_mode_ == ReplyMode::kSkipThis) {
    out_.resize(mark);
    reply_mode_ = ReplyMode::kSkipNext;
  } else if (mode_before == ReplyMode::kSkipNext && reply_mode_ == ReplyMode::kSkipNext) {
    out_.resize(mark);
    reply_mode_ = ReplyMode::kOn;
  }
  if (!held_pushes_.empty()) {
    out_.append(held_pushes_);
    held_pushes_.clear();
  }
}

void Connection::StartMonitor() {
  monitor_.store(true, std::memory_order_relaxed);
  AddMonitor(id_, &worker_);
}

void Connection::EnableTracking(const TrackingOptions& o) {
  tracking_.on = true;
  std::vector<std::string> prefixes = std::move(tracking_.options.prefixes);
  for (const std::string& p : o.prefixes) prefixes.push_back(p);
  if (o.bcast && o.prefixes.empty() &&
      std::find(prefixes.begin(), prefixes.end(), "") == prefixes.end()) {
    prefixes.emplace_back();
  }
  tracking_.options = o;
  tracking_.options.prefixes = std::move(prefixes);
  TrackingEnable(id_, o);
  tracking_flags_.store(kTrackOn | (o.bcast ? kTrackBcast : 0), std::memory_order_relaxed);
  tracking_redir_.store(static_cast<int64_t>(o.redirect), std::memory_order_relaxed);
}

void Connection::DisableTracking() {
  if (!tracking_.on) return;
  TrackingDisable(id_);
  tracking_ = Tracking();
  tracking_flags_.store(0, std::memory_order_relaxed);
  tracking_redir_.store(-1, std::memory_order_relaxed);
}

void Connection::RememberTrackedKeys(const CommandSpec& spec,
                                     const std::vector<std::string_view>& args) {
  const TrackingOptions& o = tracking_.options;
  if ((o.optin && !tracking_.caching) || (o.optout && tracking_.caching)) return;
  std::vector<std::string_view> keys;
  int argc = static_cast<int>(args.size());
  if (spec.flags & kCmdMovableKeys) {
    // The read-only movable-key commands (ZUNION, SINTERCARD, ...) take
    // "numkeys key [key ...]" first.
    auto n = argc > 1 ? ParseInt64(args[1]) : std::nullopt;
    for (int64_t i = 0; n && i < *n && i + 2 < argc; ++i) keys.push_back(args[static_cast<size_t>(i + 2)]);
  } else if (spec.first_key > 0) {
    int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
    for (int i = spec.first_key; i <= last && i < argc; i += spec.step) {
      keys.push_back(args[static_cast<size_t>(i)]);
    }
  }
  TrackingRememberKeys(id_, keys);
}

void Connection::Dispatch(const std::vector<std::string_view>& args) {
  char lower[64];
  std::string_view name = args[0];
  std::string lower_long;
  std::string_view key;
  if (name.size() < sizeof(lower)) {
    for (size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    key = std::string_view(lower, name.size());
  } else {
    lower_long = ToLower(name);
    key = lower_long;
  }
  ThreadStats& stats = LocalStats();
  stats.commands.Add();

  if (key == "quit") {
    reply_.Ok();
    close_after_reply_ = true;
    return;
  }
  const CommandSpec* spec = server().commands().Find(key);
  // A command rejected while a MULTI queues makes its EXEC fail.
  auto reject = [&](std::string_view msg, const CommandSpec* s) {
    reply_.Error(msg);
    if (tx_ != nullptr) tx_->aborted = true;
    if (s != nullptr) worker_.command_stats()[static_cast<size_t>(s->id)].rejected_calls.Add();
    std::lock_guard<std::mutex> lk(worker_.errors_mu());
    ++worker_.error_counts()[std::string(reply_.last_error_code())];
  };
  if (spec == nullptr) {
    reject(UnknownCommandError(args), nullptr);
    return;
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    std::string sub = ToLower(args[1]);
    const CommandSpec* s = spec->FindSub(sub);
    if (s == nullptr) {
      reject(UnknownSubcommandError(args[1], spec->name), nullptr);
      return;
    }
    spec = s;
  }
  int argc = static_cast<int>(args.size());
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    reject(WrongArityError(*spec), spec);
    return;
  }
  if (!authenticated_ && !(spec->flags & kCmdNoAuth)) {
    reject(err::kNoAuth, spec);
    return;
  }
  // EXEC counts as denyoom when a queued command is (Redis's cmd_flags).
  bool denyoom = (spec->flags & kCmdDenyOom) != 0;
  if (!denyoom && tx_ != nullptr && key == "exec") {
    for (const CommandSpec* q : tx_->specs) denyoom |= (q->flags & kCmdDenyOom) != 0;
  }
  if (denyoom && !EnsureMemory(server().keyspace(), NowMs())) {
    if (tx_ != nullptr && key == "exec") {
      // A rejected EXEC discards the transaction, as in Redis.
      TakeTransaction();
      UnwatchAll(&watch_);
      reply_.Error("EXECABORT Transaction discarded because of: " + std::string(kOomError));
      worker_.command_stats()[static_cast<size_t>(spec->id)].rejected_calls.Add();
      std::lock_guard<std::mutex> lk(worker_.errors_mu());
      ++worker_.error_counts()[std::string(reply_.last_error_code())];
      return;
    }
    return reject(kOomError, spec);
  }
  // stop-writes-on-bgsave-error: as Redis, writes and PING are refused.
  if (((spec->flags & kCmdWrite) || key == "ping") && server().persistence().WritesRefused()) {
    return reject(kMisconfError, spec);
  }
  if (resp_ == 2 && subscribed() && !(spec->flags & kCmdSubscribedOk)) {
    return reject("ERR Can't execute '" + spec->name +
                      "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
                      "allowed in this context",
                  spec);
  }
  if (server().scripts().busy() && !(spec->flags & kCmdAllowBusy)) {
    reject(server().scripts().BusyError(), spec);
    return;
  }
  if (tx_ != nullptr && key != "exec" && key != "discard" && key != "multi" && key != "watch" &&
      key != "reset") {
    if (spec->flags & kCmdNoMulti) return reject("ERR Command not allowed inside a transaction", spec);
    return Queue(*spec, args);
  }
  if (ShouldPostpone(*spec)) {
    paused_ = true;
    worker_.AddPaused(this);
    return;
  }
  RunHandler(*spec, args, NowMs());
  if (HasReadyKeys()) {
    Aof::OrderScope order(true);  // the pops it serves are logged
    ServeReadyKeys(server());
  }
}

void Connection::Replay(const std::vector<std::string_view>& args) {
  Dispatch(args);
  out_.clear();
}

void Connection::RunHandler(const CommandSpec& spec, const std::vector<std::string_view>& args,
                            int64_t now_ms, ReplyBuilder& reply) {
  size_t errors_before = reply.errors();
  int64_t start = MonotonicUs();
  CommandContext ctx{server(), *this, reply, args, spec, now_ms};
  last_cmd_.store(spec.id, std::memory_order_relaxed);
  if (tracking_.on && !tracking_.options.bcast && (spec.flags & kCmdReadOnly)) {
    RememberTrackedKeys(spec, args);  // before the read: see pubsub/tracking.h
  }
  {
    // A write holds the AOF's order across its run and its record.
    Aof::OrderScope order(Aof::on() && (spec.flags & (kCmdWrite | kCmdOrdered)) != 0);
    int db_before = db();
    uint64_t dirty_before = LocalStats().dirty.Get();
    {
      // A read-only command's lookups need not tell a snapshot in progress.
      ReadOnlyAccess ro((spec.flags & kCmdReadOnly) != 0);
      spec.handler(ctx);
    }
    if ((spec.flags & kCmdWrite) && Aof::on() && LocalStats().dirty.Get() != dirty_before) {
      Aof::LogCommand(db_before, args, now_ms);
    }
  }
  int64_t elapsed = MonotonicUs() - start;
  FeedMonitors(spec, args, db(), in_script ? std::string_view("lua") : std::string_view(addr_));

  CommandStats& cs = worker_.command_stats()[static_cast<size_t>(spec.id)];
  cs.calls.Add();
  cs.usec.Add(static_cast<uint64_t>(elapsed));
  RecordCommandLatency(cs, spec, args, *this, elapsed);
  if (reply.errors() > errors_before) {
    cs.failed_calls.Add();
    std::lock_guard<std::mutex> lk(worker_.errors_mu());
    ++worker_.error_counts()[std::string(reply.last_error_code())];
  }
}

void Connection::BeginTransaction() {
  tx_ = std::make_unique<Transaction>();
  multi_count_.store(0, std::memory_order_relaxed);
}

std::unique_ptr<Connection::Transaction> Connection::TakeTransaction() {
  multi_count_.store(-1, std::memory_order_relaxed);
  return std::move(tx_);
}

void Connection::Queue(const CommandSpec& spec, const std::vector<std::string_view>& args) {
  tx_->commands.emplace_back(args.begin(), args.end());
  tx_->specs.push_back(&spec);
  multi_count_.store(static_cast<int>(tx_->commands.size()), std::memory_order_relaxed);
  reply_.Simple("QUEUED");
}

bool Connection::Flush() {
  if (Aof::NeedsSyncForReply()) Aof::SyncForReply();  // appendfsync always
  while (out_sent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent_ += static_cast<size_t>(n);
      LocalStats().net_output_bytes.Add(static_cast<uint64_t>(n));
      // A client still receiving a long reply is not idle.
      last_interaction_ms_.store(NowMs(), std::memory_order_relaxed);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
    if (out_.capacity() > kKeepOutputCapacity) std::string().swap(out_);
  } else if (out_sent_ > kKeepOutputCapacity && out_sent_ * 2 > out_.size()) {
    out_.erase(0, out_sent_);
    out_sent_ = 0;
  }
  obuf_.store(out_.size() - out_sent_, std::memory_order_relaxed);
  return true;
}

bool Connection::OverHardOutputLimit() const {
  int64_t hard = const_cast<Connection*>(this)->server().config()
                     .obuf_limits[static_cast<int>(output_class())].hard.load(std::memory_order_relaxed);
  return hard > 0 && static_cast<int64_t>(out_.size() - out_sent_) > hard;
}

bool Connection::CheckOutputLimits() {
  size_t pending = out_.size() - out_sent_;
  const OutputBufferLimit& lim =
      server().config().obuf_limits[static_cast<int>(output_class())];
  int64_t hard = lim.hard.load(std::memory_order_relaxed);
  int64_t soft = lim.soft.load(std::memory_order_relaxed);
  bool over_hard = hard > 0 && static_cast<int64_t>(pending) > hard;
  bool over_soft = false;
  if (soft > 0 && static_cast<int64_t>(pending) > soft) {
    int64_t now = NowMs();
    if (soft_limit_since_ms == 0) soft_limit_since_ms = now;
    over_soft = now - soft_limit_since_ms > lim.soft_seconds.load() * 1000;
  } else {
    soft_limit_since_ms = 0;
  }
  if (over_hard || over_soft) {
    LOG_WARNING("Client id=%llu addr=%s closed for overcoming of output buffer limits.",
                static_cast<unsigned long long>(id_), addr_.c_str());
    LocalStats().client_outbuf_limit_disconnections.Add();
    return false;
  }
  return true;
}

void Connection::PublishInfo() {
  qbuf_.store(in_.size(), std::memory_order_relaxed);
  qbuf_free_.store(in_.writable(), std::memory_order_relaxed);
}

bool Connection::IsPubSubType() const {
  return pubsub_ != nullptr && (pubsub_->counts[0].load(std::memory_order_relaxed) +
                                    pubsub_->counts[1].load(std::memory_order_relaxed) +
                                    pubsub_->counts[2].load(std::memory_order_relaxed) >
                                0);
}

std::string Connection::InfoFlags() const {
  char f[8];
  size_t n = 0;
  if (is_monitor()) f[n++] = 'O';
  if (IsPubSubType()) f[n++] = 'P';
  if (multi_count_.load(std::memory_order_relaxed) >= 0) f[n++] = 'x';
  if (blocked_flag_.load(std::memory_order_relaxed)) f[n++] = 'b';
  int t = tracking_flags_.load(std::memory_order_relaxed);
  if (t & kTrackOn) f[n++] = 't';
  if (t & kTrackBroken) f[n++] = 'R';
  if (t & kTrackBcast) f[n++] = 'B';
  if (n == 0) f[n++] = 'N';
  return std::string(f, n);
}

std::string Connection::InfoLine(int64_t now_ms) const {
  int cmd = last_command_id();
  std::string cmd_name = cmd < 0 ? "NULL" : const_cast<Connection*>(this)->server().commands().by_id()[static_cast<size_t>(cmd)]->name;
  size_t qbuf = query_buffer_bytes(), qfree = query_buffer_free(), obl = output_bytes();
  int subs[3] = {0, 0, 0};
  for (int k = 0; k < 3 && pubsub_ != nullptr; ++k) {
    subs[k] = pubsub_->counts[k].load(std::memory_order_relaxed);
  }
  char buf[1024];
  snprintf(buf, sizeof(buf),
           "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%d "
           "psub=%d ssub=%d multi=%d qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu rbp=0 "
           "obl=%zu oll=0 omem=%zu tot-mem=%zu events=r cmd=%s user=default redir=%lld resp=%d",
           static_cast<unsigned long long>(id_), addr_.c_str(), laddr_.c_str(), fd_, name.c_str(),
           static_cast<long long>((now_ms - created_ms_) / 1000),
           static_cast<long long>((now_ms - last_interaction_ms()) / 1000), InfoFlags().c_str(),
           db(), subs[0], subs[1], subs[2], multi_count_.load(std::memory_order_relaxed), qbuf,
           qfree, qbuf + qfree, obl, obl, qbuf + qfree + obl + sizeof(Connection),
           cmd_name.c_str(), static_cast<long long>(InfoRedirect()), resp_version());
  std::string line = buf;
  if (!lib_name.empty() || !lib_ver.empty()) {
    line += " lib-name=" + lib_name + " lib-ver=" + lib_ver;
  }
  return line;
}

}  // namespace magpie
