// Replaying an AOF file of commands at startup.
#pragma once

#include <string>
#include <vector>

namespace magpie {

class Server;

// Runs every command of the file at `path` through a client of worker 0
// (the workers are built but not started), with expiry suspended as Redis
// does while loading. A file cut short in its last command (or inside an
// unfinished MULTI) is an error, unless `truncated_ok`: then the partial
// tail is dropped and cut off the file, and loading goes on. "" or false
// with the error in *err naming the file and offset.
bool ReplayAofFile(Server& server, const std::string& path, bool truncated_ok, std::string* err);

// Loads FUNCTION libraries' code (from an RDB) into the registry.
bool InstallFunctions(Server& server, const std::vector<std::string>& code, std::string* err);

}  // namespace magpie
