// What the bench load generators (mcload, pubload, trace) share: a TCP
// connection to the server on the loopback, and a blocking send of a whole
// buffer. Both exit the process on failure: a load generator that lost its
// server has no result to print.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace loadgen {

// A connected socket to 127.0.0.1:port with TCP_NODELAY (requests are small
// and timed one by one).
inline int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    perror("socket");
    exit(1);
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    perror("connect");
    exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Sends all of `s`, retrying on EINTR/EAGAIN (the socket may be non-blocking).
inline void SendAll(int fd, std::string_view s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      perror("send");
      exit(1);
    }
  }
}

}  // namespace loadgen
