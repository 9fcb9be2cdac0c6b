#include "persistence/aof_replay.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include "common/util.h"
#include "scripting/lua_vm.h"
#include "scripting/script_registry.h"
#include "server/connection.h"
#include "server/log.h"
#include "server/server.h"
#include "server/worker.h"
#include "store/db.h"

namespace magpie {

namespace {

// Parses "*N\r\n$len\r\narg\r\n..." at *pos. 1: a command; 0: the data
// ends inside it; -1: not a command (format error).
int ParseCommand(std::string_view data, size_t* pos, std::vector<std::string_view>* args) {
  size_t p = *pos;
  auto line = [&](char lead, int64_t* n) -> int {
    if (p >= data.size()) return 0;
    if (data[p] != lead) return -1;
    size_t eol = data.find("\r\n", p);
    if (eol == std::string_view::npos) return 0;
    auto v = ParseInt64(data.substr(p + 1, eol - p - 1));
    if (!v || *v < 0) return -1;
    *n = *v;
    p = eol + 2;
    return 1;
  };
  int64_t argc = 0;
  int r = line('*', &argc);
  if (r <= 0) return r;
  if (argc < 1) return -1;
  args->clear();
  for (int64_t i = 0; i < argc; ++i) {
    int64_t len = 0;
    r = line('$', &len);
    if (r <= 0) return r;
    if (data.size() - p < static_cast<size_t>(len) + 2) return 0;
    if (data.substr(p + static_cast<size_t>(len), 2) != "\r\n") return -1;
    args->push_back(data.substr(p, static_cast<size_t>(len)));
    p += static_cast<size_t>(len) + 2;
  }
  *pos = p;
  return 1;
}

}  // namespace

bool InstallFunctions(Server& server, const std::vector<std::string>& code, std::string* err) {
  if (code.empty()) return true;
  LuaVm vm(server);
  auto set = std::make_shared<FunctionSet>();
  for (const std::string& c : code) {
    auto lib = std::make_shared<Library>();
    std::string e = vm.LoadLibrary(c, lib.get());
    if (e.empty()) e = AddLibrary(set.get(), lib, false);
    if (!e.empty()) {
      *err = "a function library failed to load: " + e;
      return false;
    }
  }
  std::lock_guard<std::mutex> lk(server.scripts().functions_write_mu());
  server.scripts().PublishFunctions(set);
  return true;
}

bool ReplayAofFile(Server& server, const std::string& path, bool truncated_ok, std::string* err) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    *err = "Can't open the append-only file " + path + ": " + strerror(errno);
    return false;
  }
  struct stat st;
  fstat(fd, &st);
  size_t size = static_cast<size_t>(st.st_size);
  const char* base = nullptr;
  if (size > 0) {
    void* m = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      *err = "Can't map the append-only file " + path + ": " + strerror(errno);
      close(fd);
      return false;
    }
    base = static_cast<const char*>(m);
  }
  std::string_view data(base, size);
  SetLoading(true);
  auto conn = std::make_unique<Connection>(server.worker(0), -1, 0, "aof", "", false);
  conn->set_authenticated(true);
  std::vector<std::string_view> args;
  size_t pos = 0;
  size_t last_good = 0;  // end of the last command outside a MULTI
  bool ok = true;
  uint64_t commands = 0;
  while (pos < size) {
    int r = ParseCommand(data, &pos, &args);
    if (r < 0) {
      *err = "Bad file format reading the append only file " + path + " at offset " +
             std::to_string(pos) + ": make a backup of your AOF file, then use ./redis-check-aof "
             "--fix <filename.manifest>";
      ok = false;
      break;
    }
    if (r == 0) break;
    conn->Replay(args);
    ++commands;
    if (!conn->in_transaction()) last_good = pos;
  }
  bool truncated = ok && last_good < size;
  SetLoading(false);
  conn.reset();
  if (base != nullptr) munmap(const_cast<char*>(base), size);
  if (truncated) {
    if (!truncated_ok) {
      *err = "Unexpected end of file reading the append only file " + path + " at offset " +
             std::to_string(last_good) + ". You can: 1) Make a backup of your AOF file, then use "
             "./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the "
             "'aof-load-truncated' configuration option to yes and restart the server.";
      ok = false;
    } else {
      LOG_WARNING("!!! Warning: short read while loading the AOF file %s!!!", path.c_str());
      LOG_WARNING("!!! Truncating the AOF at offset %zu !!!", last_good);
      if (ftruncate(fd, static_cast<off_t>(last_good)) != 0) {
        *err = "Error truncating the AOF file " + path + ": " + strerror(errno);
        ok = false;
      } else {
        LOG_WARNING("AOF %s loaded anyway because aof-load-truncated is enabled", path.c_str());
      }
    }
  }
  close(fd);
  if (ok) {
    LOG_NOTICE("Replayed %llu commands from %s", static_cast<unsigned long long>(commands),
               path.c_str());
  }
  return ok;
}

}  // namespace magpie
