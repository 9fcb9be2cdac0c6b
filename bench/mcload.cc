// mcload: a small load generator for `make bench` (Debian has no
// memtier_benchmark). One thread, epoll, N connections, each keeping `depth`
// requests in flight; latency is measured per request from the send of its
// batch to the arrival of its (last) reply.
//
//   mcload --port P [--conns 50] [--depth 1] [--op set|get|mget10|mix]
//          [--keys 100000] [--value 32] [--seconds 3] [--load N]
//   mcload --port P --seq "MULTI;INCR k:__rand__;...;EXEC" [--conns ...]
//
// Memcached text protocol by default. With --seq a request is a sequence of
// RESP commands (';'-separated, words split on spaces, __rand__ replaced by
// one random key number per sequence), done when all its replies are in; an
// error reply, top-level or inside an EXEC array, counts as an error.
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

#include "loadgen.h"

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
  std::string seq;  // RESP command sequence (see above)
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

// Where the RESP reply starting at `pos` ends, or npos if incomplete.
// Counts error replies (at any depth) in *errors.
size_t RespReplyEnd(const std::string& buf, size_t pos, int* errors) {
  if (pos >= buf.size()) return std::string::npos;
  size_t nl = buf.find("\r\n", pos);
  if (nl == std::string::npos) return std::string::npos;
  char type = buf[pos];
  long n = std::strtol(buf.c_str() + pos + 1, nullptr, 10);
  size_t next = nl + 2;
  switch (type) {
    case '-':
    case '!':
      ++*errors;
      return next;
    case '$':
    case '=':
      if (n < 0) return next;
      return buf.size() < next + static_cast<size_t>(n) + 2 ? std::string::npos
                                                             : next + static_cast<size_t>(n) + 2;
    case '*':
    case '~':
    case '>':
    case '%':
      if (type == '%') n *= 2;
      for (long i = 0; i < n; ++i) {
        next = RespReplyEnd(buf, next, errors);
        if (next == std::string::npos) return next;
      }
      return next;
    default:
      return next;
  }
}

// Number of complete RESP replies at the start of `buf`; consumes them.
int TakeRespReplies(std::string& buf, int* errors) {
  int got = 0;
  size_t pos = 0;
  while (true) {
    int e = 0;
    size_t end = RespReplyEnd(buf, pos, &e);
    if (end == std::string::npos) break;
    *errors += e;
    pos = end;
    ++got;
  }
  buf.erase(0, pos);
  return got;
}

std::string RespCommand(const std::vector<std::string>& words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (const std::string& w : words) out += "$" + std::to_string(w.size()) + "\r\n" + w + "\r\n";
  return out;
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
    else if (a == "--seq") o.seq = v;
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
  // --seq: the commands' words, split once.
  std::vector<std::vector<std::string>> seq;
  for (size_t at = 0; !o.seq.empty() && at <= o.seq.size();) {
    size_t semi = o.seq.find(';', at);
    std::string cmd = o.seq.substr(at, semi == std::string::npos ? std::string::npos : semi - at);
    std::vector<std::string> words;
    for (size_t w = 0; w < cmd.size();) {
      size_t sp = cmd.find(' ', w);
      if (sp == std::string::npos) sp = cmd.size();
      if (sp > w) words.push_back(cmd.substr(w, sp - w));
      w = sp + 1;
    }
    if (!words.empty()) seq.push_back(words);
    if (semi == std::string::npos) break;
    at = semi + 1;
  }
  const int replies_per_request = seq.empty() ? 1 : static_cast<int>(seq.size());
  auto add_request = [&](std::string& out) {
    if (!seq.empty()) {
      std::string r = std::to_string(rng() % static_cast<uint64_t>(o.keys));
      for (std::vector<std::string> words : seq) {
        for (std::string& w : words) {
          size_t p = w.find("__rand__");
          if (p != std::string::npos) w.replace(p, 8, r);
        }
        out += RespCommand(words);
      }
      return;
    }
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
    c.fd = loadgen::ConnectLoopback(o.port);
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
    c.pending = n * replies_per_request;
    c.sent = Clock::now();
    loadgen::SendAll(c.fd, c.out);
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
      int got = seq.empty() ? TakeReplies(c.in, c.pending, &errors) : TakeRespReplies(c.in, &errors);
      if (got > 0) {
        // Requests completed by these replies (a sequence completes with its last).
        const int r = replies_per_request;
        int done = (c.pending + r - 1) / r - (c.pending - got + r - 1) / r;
        uint32_t us = static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.sent).count());
        for (int k = 0; k < done; ++k) lat_us.push_back(us);
        ops += done;
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
