// mcload: a small memcached text-protocol load generator for `make bench`
// (Debian has no memtier_benchmark). One thread, epoll, N connections, each
// keeping `depth` requests in flight; latency is measured per request from
// the send of its batch to the arrival of its reply.
//
//   mcload --port P [--conns 50] [--depth 1] [--op set|get|mget10|mix]
//          [--keys 100000] [--value 32] [--seconds 3] [--load N]
//
// --load N writes keys 0..N-1 once (for bytes-per-item) and exits.
// Prints one JSON object: ops, seconds, ops_per_sec, p50_us, p99_us, errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int port = 11211;
  int conns = 50;
  int depth = 1;
  std::string op = "get";
  long keys = 100000;
  int value = 32;
  double seconds = 3;
  long load = 0;
};

struct Conn {
  int fd = -1;
  std::string out;
  std::string in;
  int pending = 0;  // replies still expected for the current batch
  Clock::time_point sent;
};

// Number of complete replies at the start of `buf`; consumes them.
int TakeReplies(std::string& buf, int want, int* errors) {
  int got = 0;
  size_t pos = 0;
  while (got < want) {
    size_t nl = buf.find("\r\n", pos);
    if (nl == std::string::npos) break;
    std::string_view line(buf.data() + pos, nl - pos);
    if (line.substr(0, 6) == "VALUE ") {
      size_t last = line.rfind(' ');
      size_t bytes = std::strtoul(std::string(line.substr(last + 1)).c_str(), nullptr, 10);
      // Skip the data block; a VALUE line is not a complete reply on its own.
      if (buf.size() < nl + 2 + bytes + 2) break;
      pos = nl + 2 + bytes + 2;
      continue;
    }
    if (line == "END" || line == "STORED") {
      ++got;
    } else {
      ++got;
      ++*errors;
    }
    pos = nl + 2;
  }
  buf.erase(0, pos);
  return got;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--port") o.port = std::atoi(v.c_str());
    else if (a == "--conns") o.conns = std::atoi(v.c_str());
    else if (a == "--depth") o.depth = std::atoi(v.c_str());
    else if (a == "--op") o.op = v;
    else if (a == "--keys") o.keys = std::atol(v.c_str());
    else if (a == "--value") o.value = std::atoi(v.c_str());
    else if (a == "--seconds") o.seconds = std::atof(v.c_str());
    else if (a == "--load") o.load = std::atol(v.c_str());
    else {
      fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (o.load > 0) {
    o.conns = 1;
    o.depth = 64;
    o.op = "set";
  }
  std::string value(static_cast<size_t>(o.value), 'x');
  std::mt19937_64 rng(42);
  long next_seq = 0;
  auto key = [&](long k) {
    char buf[32];
    snprintf(buf, sizeof(buf), "key:%012ld", k);
    return std::string(buf);
  };
  auto add_request = [&](std::string& out) {
    std::string op = o.op;
    if (op == "mix") op = (rng() % 10 == 0) ? "set" : "get";
    if (op == "set") {
      long k = o.load > 0 ? next_seq++ : static_cast<long>(rng() % static_cast<uint64_t>(o.keys));
      out += "set " + key(k) + " 0 0 " + std::to_string(o.value) + "\r\n" + value + "\r\n";
    } else if (op == "get") {
      out += "get " + key(static_cast<long>(rng() % static_cast<uint64_t>(o.keys))) + "\r\n";
    } else {  // mget10
      out += "get";
      for (int i = 0; i < 10; ++i) out += " " + key(static_cast<long>(rng() % static_cast<uint64_t>(o.keys)));
      out += "\r\n";
    }
  };

  int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<size_t>(o.conns));
  for (size_t i = 0; i < conns.size(); ++i) {
    Conn& c = conns[i];
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(o.port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      perror("connect");
      return 1;
    }
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }
  std::vector<uint32_t> lat_us;
  lat_us.reserve(1 << 22);
  long ops = 0;
  int errors = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(o.seconds);
  auto send_batch = [&](Conn& c) {
    c.out.clear();
    int n = o.depth;
    if (o.load > 0) n = static_cast<int>(std::min<long>(n, o.load - next_seq));
    for (int i = 0; i < n; ++i) add_request(c.out);
    c.pending = n;
    c.sent = Clock::now();
    size_t off = 0;
    while (off < c.out.size()) {
      ssize_t w = send(c.fd, c.out.data() + off, c.out.size() - off, MSG_NOSIGNAL);
      if (w <= 0) {
        perror("send");
        exit(1);
      }
      off += static_cast<size_t>(w);
    }
  };
  for (Conn& c : conns) send_batch(c);
  bool running = true;
  epoll_event events[256];
  char buf[1 << 16];
  while (running) {
    int n = epoll_wait(ep, events, 256, 1000);
    for (int i = 0; i < n; ++i) {
      Conn& c = conns[events[i].data.u64];
      ssize_t r = read(c.fd, buf, sizeof(buf));
      if (r <= 0) {
        fprintf(stderr, "server closed a connection\n");
        return 1;
      }
      c.in.append(buf, static_cast<size_t>(r));
      int got = TakeReplies(c.in, c.pending, &errors);
      if (got > 0) {
        uint32_t us = static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.sent).count());
        for (int k = 0; k < got; ++k) lat_us.push_back(us);
        ops += got;
        c.pending -= got;
      }
      if (c.pending == 0) {
        bool more = o.load > 0 ? next_seq < o.load : Clock::now() < deadline;
        if (more) {
          send_batch(c);
        }
      }
    }
    bool idle = std::all_of(conns.begin(), conns.end(), [](const Conn& c) { return c.pending == 0; });
    if (idle) running = false;
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double p) {
    return lat_us.empty() ? 0u : lat_us[std::min(lat_us.size() - 1, static_cast<size_t>(p * static_cast<double>(lat_us.size())))];
  };
  printf("{\"ops\": %ld, \"seconds\": %.3f, \"ops_per_sec\": %.1f, \"p50_us\": %u, \"p99_us\": %u, \"errors\": %d}\n",
         ops, secs, static_cast<double>(ops) / secs, pct(0.50), pct(0.99), errors);
  return 0;
}
