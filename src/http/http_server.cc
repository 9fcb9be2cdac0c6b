// HTTP server for /metrics, /api/stats and the dashboard (see http_server.h).
//
// Invariants:
// - Only the HTTP thread touches clients_ and the sockets; Stop() wakes it
//   through the eventfd and joins it.
// - A request is answered only once its whole head ("\r\n\r\n") is in; a
//   head larger than kMaxRequestBytes gets 431 and the connection closes.
//   Every response carries "Connection: close": one request per connection.
//   Once it is written the write side is shut and the connection drains
//   (input read and dropped) until the peer closes, or kDrainTimeoutMs.
// - Authorization and protected mode are checked before any route runs.
// - Responses are built on this thread from the same figures INFO shows
//   (http/metrics.h); building them takes shard locks one at a time, as
//   INFO does, never the workers' own state.
#include "http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "commands/command.h"
#include "common/util.h"
#include "http/metrics.h"
#include "server/log.h"
#include "server/server.h"
#include "server/worker.h"

namespace magpie {

namespace {

constexpr uint64_t kWakeTag = ~uint64_t{0};

bool PeerIsLoopback(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr)) return true;
  if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) return a->sin6_addr.s6_addr[12] == 127;
  return false;
}

// RFC 4648 base64 decoding; nullopt on a malformed input.
std::optional<std::string> Base64Decode(std::string_view in) {
  auto value = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v = value(ch);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// Compares without an early exit, so timing does not reveal the prefix.
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

constexpr const char* kDenied =
    "Magpie is running in protected mode because protected mode is enabled and no password is "
    "set for the default user. In this mode only loopback clients may use the HTTP port. Set "
    "requirepass (then use HTTP basic auth) or disable protected-mode.\n";

}  // namespace

HttpAccess CheckHttpAccess(bool loopback, bool protected_mode, std::string_view password,
                           std::string_view authorization) {
  if (password.empty()) {
    return protected_mode && !loopback ? HttpAccess::kForbidden : HttpAccess::kAllowed;
  }
  if (authorization.size() <= 6 || !EqualsIgnoreCase(authorization.substr(0, 6), "basic ")) {
    return HttpAccess::kUnauthorized;
  }
  auto decoded = Base64Decode(Trim(authorization.substr(6)));
  size_t colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) return HttpAccess::kUnauthorized;
  std::string_view user(decoded->data(), colon);
  std::string_view pass(decoded->data() + colon + 1, decoded->size() - colon - 1);
  bool ok = (user.empty() || user == "default") && SameSecret(pass, password);
  return ok ? HttpAccess::kAllowed : HttpAccess::kUnauthorized;
}

HttpServer::HttpServer(Server& server) : server_(server) {}

HttpServer::~HttpServer() { Stop(); }

bool HttpServer::Start(int port) {
  for (const std::string& raw : server_.config().bind()) {
    bool optional = !raw.empty() && raw[0] == '-';
    std::string addr = optional ? raw.substr(1) : raw;
    std::string err;
    int fd = ListenOn(addr, port, 128, &err);
    if (fd < 0) {
      if (!optional) {
        LOG_WARNING("Could not listen for HTTP on %s:%d: %s", addr.c_str(), port, err.c_str());
      }
      continue;
    }
    listen_fds_.push_back(fd);
  }
  if (listen_fds_.empty()) {
    LOG_WARNING("HTTP port %d unavailable: running without /metrics and the dashboard", port);
    return false;
  }
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  evfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev);
  for (int fd : listen_fds_) {
    epoll_event lev{};
    lev.events = EPOLLIN;
    lev.data.u64 = static_cast<uint64_t>(fd) | (uint64_t{1} << 32);
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &lev);
  }
  thread_ = std::thread([this] { Loop(); });
  LOG_NOTICE("HTTP dashboard and /metrics on port %d", port);
  return true;
}

void HttpServer::Stop() {
  if (thread_.joinable()) {
    stop_.store(true);
    uint64_t one = 1;
    ssize_t n = write(evfd_, &one, sizeof(one));
    (void)n;
    thread_.join();
  }
  for (auto& [fd, c] : clients_) close(fd);
  clients_.clear();
  for (int fd : listen_fds_) close(fd);
  listen_fds_.clear();
  if (epfd_ >= 0) close(epfd_);
  if (evfd_ >= 0) close(evfd_);
  epfd_ = evfd_ = -1;
}

std::vector<double> HttpServer::CommandRates() const {
  std::lock_guard<std::mutex> lk(rates_mu_);
  return rates_;
}

void HttpServer::SampleRates() {
  int64_t now = NowMs();
  const auto& specs = server_.commands().by_id();
  std::vector<uint64_t> calls(specs.size(), 0);
  for (int i = 0; i < server_.num_workers(); ++i) {
    const auto& stats = server_.worker(i).command_stats();
    for (size_t id = 0; id < specs.size(); ++id) calls[id] += stats[id].calls.Get();
  }
  if (last_sample_ms_ != 0 && now > last_sample_ms_) {
    std::vector<double> rates(specs.size(), 0);
    double dt = static_cast<double>(now - last_sample_ms_) / 1000.0;
    for (size_t id = 0; id < specs.size(); ++id) {
      if (calls[id] >= last_calls_[id])
        rates[id] = static_cast<double>(calls[id] - last_calls_[id]) / dt;
    }
    std::lock_guard<std::mutex> lk(rates_mu_);
    rates_ = std::move(rates);
  }
  last_calls_ = std::move(calls);
  last_sample_ms_ = now;
}

void HttpServer::Loop() {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  SampleRates();
  while (!stop_.load()) {
    int n = epoll_wait(epfd_, events, kMaxEvents, 250);
    for (int i = 0; i < n && !stop_.load(); ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) continue;
      if (tag >> 32) {
        Accept(static_cast<int>(tag & 0xffffffff));
      } else {
        OnEvent(static_cast<int>(tag), events[i].events);
      }
    }
    int64_t now = NowMs();
    if (now - last_sample_ms_ >= 1000) SampleRates();
    std::vector<int> idle;
    for (const auto& [fd, c] : clients_) {
      if (now - c.last_ms > (c.draining ? kDrainTimeoutMs : kIdleTimeoutMs)) idle.push_back(fd);
    }
    for (int fd : idle) CloseClient(fd);
  }
}

void HttpServer::Accept(int listen_fd) {
  while (true) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd =
        accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (clients_.size() >= kMaxConnections) {
      static const char kBusy[] =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      ssize_t w = write(fd, kBusy, sizeof(kBusy) - 1);
      (void)w;
      close(fd);
      continue;
    }
    Client& c = clients_[fd];
    c.fd = fd;
    c.loopback = PeerIsLoopback(ss);
    c.last_ms = NowMs();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    ev.data.u64 = static_cast<uint64_t>(fd);
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void HttpServer::OnEvent(int fd, uint32_t events) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& c = it->second;
  c.last_ms = NowMs();
  if (c.draining) {
    char buf[4096];
    while (true) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      return CloseClient(fd);  // the peer closed (or failed): done
    }
  }
  if (!c.out.empty()) {
    if (!Flush(c)) CloseClient(fd);
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    char buf[4096];
    while (true) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (c.in.size() > kMaxRequestBytes) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return CloseClient(fd);  // EOF before a whole request, or an error
    }
    size_t end = c.in.find("\r\n\r\n");
    if (end != std::string::npos && end + 4 <= kMaxRequestBytes) {
      Respond(c, end + 4);
    } else if (c.in.size() > kMaxRequestBytes) {
      Reply(c, 431, "text/plain; charset=utf-8", "request head too large\n");
    } else {
      return;  // wait for the rest of the head
    }
    if (!Flush(c)) return CloseClient(fd);
    if (c.draining) OnEvent(fd, EPOLLIN);  // input may be left unread: no new edge comes
  }
}

void HttpServer::Respond(Client& c, size_t head_len) {
  std::string_view head(c.in.data(), head_len);
  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.substr(sp2 + 1, 5) != "HTTP/") {
    return Reply(c, 400, "text/plain; charset=utf-8", "bad request\n");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view authorization;
  for (size_t pos = line_end + 2; pos < head.size();) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos || eol == pos) break;
    std::string_view h = head.substr(pos, eol - pos);
    size_t colon = h.find(':');
    if (colon != std::string_view::npos && EqualsIgnoreCase(h.substr(0, colon), "authorization")) {
      authorization = Trim(h.substr(colon + 1));
    }
    pos = eol + 2;
  }

  Config& cfg = server_.config();
  switch (
      CheckHttpAccess(c.loopback, cfg.protected_mode.load(), cfg.requirepass(), authorization)) {
    case HttpAccess::kForbidden:
      return Reply(c, 403, "text/plain; charset=utf-8", kDenied);
    case HttpAccess::kUnauthorized:
      return Reply(c, 401, "text/plain; charset=utf-8", "authentication required\n",
                   "WWW-Authenticate: Basic realm=\"magpie\", charset=\"UTF-8\"\r\n");
    case HttpAccess::kAllowed:
      break;
  }
  if (method != "GET" && method != "HEAD") {
    return Reply(c, 405, "text/plain; charset=utf-8", "only GET and HEAD\n",
                 "Allow: GET, HEAD\r\n");
  }
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/" || path == "/index.html") {
    Reply(c, 200, "text/html; charset=utf-8", DashboardHtml());
  } else if (path == "/metrics") {
    Reply(c, 200, "text/plain; version=0.0.4; charset=utf-8",
          PrometheusMetrics(server_, CommandRates()));
  } else if (path == "/api/stats") {
    Reply(c, 200, "application/json", DashboardJson(server_, CommandRates()));
  } else {
    Reply(c, 404, "text/plain; charset=utf-8", "not found\n");
  }
  if (method == "HEAD") {
    size_t end = c.out.find("\r\n\r\n");
    if (end != std::string::npos) c.out.resize(end + 4);
  }
}

void HttpServer::Reply(Client& c, int status, const std::string& content_type,
                       const std::string& body, const std::string& extra_headers) {
  c.out = "HTTP/1.1 " + std::to_string(status) + " " + StatusText(status) +
          "\r\nContent-Type: " + content_type +
          "\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
          "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
          "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
          "frame-ancestors 'none'\r\nConnection: close\r\n" +
          extra_headers + "\r\n" + body;
  c.sent = 0;
}

bool HttpServer::Flush(Client& c) {
  while (c.sent < c.out.size()) {
    ssize_t n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  // One request per connection: done writing; wait for the peer to close.
  shutdown(c.fd, SHUT_WR);
  c.out.clear();
  c.in.clear();
  c.draining = true;
  return true;
}

void HttpServer::CloseClient(int fd) {
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  clients_.erase(fd);
}

}  // namespace magpie
