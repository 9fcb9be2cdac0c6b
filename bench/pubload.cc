// pubload: a PUBLISH fan-out load generator for `make bench` (redis-benchmark
// cannot subscribe). One thread, epoll: `subs` connections SUBSCRIBE to one
// channel, `pubs` connections keep `depth` PUBLISH commands each in flight
// for `seconds`; then it waits until every subscriber has received every
// message. Throughput is end to end: messages published / (time the last
// subscriber got the last message - start).
//
//   pubload --port P [--subs 10] [--pubs 4] [--depth 16] [--size 16] [--seconds 2]
//
// Prints one JSON object: published, delivered, expected, seconds,
// msgs_per_sec, deliveries_per_sec, wrong_replies.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "loadgen.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int port = 6379;
  int subs = 10;
  int pubs = 4;
  int depth = 16;
  int size = 16;
  double seconds = 2;
};

std::string Bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }

struct Conn {
  int fd;
  bool publisher;
  long in_flight = 0;
  long bytes = 0;  // subscriber: bytes received
  std::string partial;  // publisher: an unfinished reply line
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--port") o.port = atoi(v);
    else if (k == "--subs") o.subs = atoi(v);
    else if (k == "--pubs") o.pubs = atoi(v);
    else if (k == "--depth") o.depth = atoi(v);
    else if (k == "--size") o.size = atoi(v);
    else if (k == "--seconds") o.seconds = atof(v);
  }
  const std::string channel = "bench-channel";
  const std::string payload(static_cast<size_t>(o.size), 'x');
  const std::string publish = "*3\r\n" + Bulk("PUBLISH") + Bulk(channel) + Bulk(payload);
  const std::string confirm = "*3\r\n" + Bulk("subscribe") + Bulk(channel) + ":1\r\n";
  const long frame = static_cast<long>(("*3\r\n" + Bulk("message") + Bulk(channel) + Bulk(payload)).size());
  const std::string want_reply = ":" + std::to_string(o.subs);

  std::vector<Conn> conns;
  for (int i = 0; i < o.subs; ++i) {
    int fd = loadgen::ConnectLoopback(o.port);
    loadgen::SendAll(fd, "*2\r\n" + Bulk("SUBSCRIBE") + Bulk(channel));
    conns.push_back(Conn{fd, false, 0, 0, {}});
    conns.back().bytes = -static_cast<long>(confirm.size());
  }
  // Wait until the server counts every subscriber.
  int ctl = loadgen::ConnectLoopback(o.port);
  const std::string numsub = "*3\r\n" + Bulk("PUBSUB") + Bulk("NUMSUB") + Bulk(channel);
  const std::string want_numsub = "*2\r\n" + Bulk(channel) + ":" + std::to_string(o.subs) + "\r\n";
  for (;;) {
    loadgen::SendAll(ctl, numsub);
    char buf[256];
    ssize_t n = read(ctl, buf, sizeof(buf));
    if (n > 0 && std::string(buf, static_cast<size_t>(n)) == want_numsub) break;
    usleep(1000);
  }
  close(ctl);
  for (int i = 0; i < o.pubs; ++i) conns.push_back(Conn{loadgen::ConnectLoopback(o.port), true, 0, 0, {}});

  int ep = epoll_create1(0);
  for (size_t i = 0; i < conns.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  std::string batch;
  for (int d = 0; d < o.depth; ++d) batch += publish;
  auto start = Clock::now();
  auto stop_sending = start + std::chrono::duration<double>(o.seconds);
  long published = 0, wrong = 0;
  bool sending = true;
  for (Conn& c : conns) {
    if (!c.publisher) continue;
    loadgen::SendAll(c.fd, batch);
    c.in_flight = o.depth;
  }
  std::vector<char> buf(1 << 16);
  epoll_event events[256];
  auto last_delivery = start;
  for (;;) {
    long delivered = 0, in_flight = 0;
    for (const Conn& c : conns) {
      if (!c.publisher) delivered += c.bytes / frame;
      in_flight += c.in_flight;
    }
    if (!sending && in_flight == 0 && delivered >= published * o.subs) break;
    if (Clock::now() - last_delivery > std::chrono::seconds(10)) {
      fprintf(stderr, "pubload: deliveries stalled (%ld of %ld)\n", delivered, published * o.subs);
      break;
    }
    if (sending && Clock::now() >= stop_sending) sending = false;
    int n = epoll_wait(ep, events, 256, 100);
    for (int i = 0; i < n; ++i) {
      Conn& c = conns[events[i].data.u64];
      ssize_t got = read(c.fd, buf.data(), buf.size());
      if (got <= 0) {
        fprintf(stderr, "pubload: connection closed by the server\n");
        return 1;
      }
      if (!c.publisher) {
        c.bytes += got;
        last_delivery = Clock::now();
        continue;
      }
      c.partial.append(buf.data(), static_cast<size_t>(got));
      size_t pos = 0, eol;
      long replies = 0;
      while ((eol = c.partial.find("\r\n", pos)) != std::string::npos) {
        if (c.partial.compare(pos, eol - pos, want_reply) != 0) ++wrong;
        ++replies;
        pos = eol + 2;
      }
      c.partial.erase(0, pos);
      c.in_flight -= replies;
      published += replies;
      if (sending && c.in_flight <= o.depth / 2) {
        long refill = o.depth - c.in_flight;
        std::string more;
        for (long r = 0; r < refill; ++r) more += publish;
        loadgen::SendAll(c.fd, more);
        c.in_flight += refill;
      }
    }
  }
  double secs = std::chrono::duration<double>(last_delivery - start).count();
  long delivered = 0;
  for (const Conn& c : conns) {
    if (!c.publisher) delivered += c.bytes / frame;
    close(c.fd);
  }
  printf("{\"published\": %ld, \"delivered\": %ld, \"expected\": %ld, \"seconds\": %.4f, "
         "\"msgs_per_sec\": %.1f, \"deliveries_per_sec\": %.1f, \"wrong_replies\": %ld}\n",
         published, delivered, published * o.subs, secs, published / secs, delivered / secs,
         wrong);
  return delivered == published * o.subs && wrong == 0 ? 0 : 1;
}
