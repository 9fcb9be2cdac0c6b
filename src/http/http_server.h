// The HTTP port (`http-port`, default 8080, 0 disables): Prometheus
// /metrics, the live dashboard at /, and the JSON it polls (/api/stats).
//
// One small dedicated thread with its own epoll loop serves it, so a slow
// scrape never delays a worker's clients and the request path carries no
// HTTP code. The server only ever serves the fixed routes (no file system
// access, so no path traversal), reads at most kMaxRequestBytes of request
// head and no body, keeps at most kMaxConnections sockets, and drops a
// connection idle for kIdleTimeoutMs. With requirepass set, every request
// needs HTTP basic auth with that password (user "default" or empty); with
// protected mode on and no password, only loopback peers are served.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace magpie {

class Server;

// The access rules for one request: protected mode first (no password and a
// non-loopback peer: kForbidden), then basic auth when a password is set.
// `authorization` is the Authorization header's value ("" when absent).
enum class HttpAccess { kAllowed, kUnauthorized, kForbidden };
HttpAccess CheckHttpAccess(bool loopback, bool protected_mode, std::string_view password,
                           std::string_view authorization);

class HttpServer {
 public:
  static constexpr size_t kMaxRequestBytes = 8192;
  static constexpr size_t kMaxConnections = 64;
  static constexpr int64_t kIdleTimeoutMs = 10000;
  static constexpr int64_t kDrainTimeoutMs = 2000;

  explicit HttpServer(Server& server);
  ~HttpServer();

  // Listens on `port` at every bind address and starts the thread. Returns
  // false (having logged why) when no address could be bound.
  bool Start(int port);
  void Stop();

  // Commands per second of each command (by CommandSpec::id) over the last
  // full second, sampled by the HTTP thread.
  std::vector<double> CommandRates() const;

 private:
  struct Client {
    int fd = -1;
    bool loopback = false;
    std::string in;
    std::string out;
    size_t sent = 0;
    int64_t last_ms = 0;
    // Response sent and write side shut: what still arrives is read and
    // dropped until the peer closes (closing with unread input would reset
    // the connection and could destroy the response in flight).
    bool draining = false;
  };

  void Loop();
  void Accept(int listen_fd);
  void OnEvent(int fd, uint32_t events);
  // Parses a complete request head and queues the response.
  void Respond(Client& c, size_t head_len);
  void Reply(Client& c, int status, const std::string& content_type, const std::string& body,
             const std::string& extra_headers = "");
  bool Flush(Client& c);  // false: failed, close it
  void CloseClient(int fd);
  void SampleRates();

  Server& server_;
  int epfd_ = -1;
  int evfd_ = -1;
  std::vector<int> listen_fds_;
  std::unordered_map<int, Client> clients_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  mutable std::mutex rates_mu_;
  std::vector<double> rates_;
  std::vector<uint64_t> last_calls_;
  int64_t last_sample_ms_ = 0;
};

}  // namespace magpie
