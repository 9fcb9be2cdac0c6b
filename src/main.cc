// magpie-server [config-file] [--directive value ...]
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/log.h"
#include "server/server.h"

int main(int argc, char** argv) {
  auto config = std::make_unique<magpie::Config>();
  int first_flag = 1;
  if (argc >= 2 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    printf("Magpie server v=0.1.0 (Redis 7.0 compatible)\n");
    return 0;
  }
  if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    printf("Usage: magpie-server [/path/to/magpie.conf] [--directive value ...]\n"
           "Examples:\n  magpie-server --port 7000 --threads 2 --save ''\n"
           "  magpie-server /etc/magpie.conf --loglevel verbose\n");
    return 0;
  }
  std::string error;
  if (argc >= 2 && strncmp(argv[1], "--", 2) != 0) {
    if (!config->LoadFile(argv[1], &error)) {
      fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    first_flag = 2;
  }
  std::vector<std::string> args(argv + first_flag, argv + argc);
  if (!config->LoadArgs(args, &error)) {
    fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  if (!config->logfile().empty() && !magpie::SetLogFile(config->logfile())) {
    fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
    return 1;
  }
  magpie::SetLogLevel(static_cast<magpie::LogLevel>(config->loglevel.load()));
  LOG_NOTICE("oO0OoO0OoO0Oo Magpie is starting oO0OoO0OoO0Oo");
  magpie::Server server(std::move(config));
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) server.set_executable(std::string(exe, static_cast<size_t>(n)));
  return server.Run();
}
