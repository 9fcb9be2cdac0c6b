// What INFO and the HTTP endpoints read from the observability commands.
#pragma once

#include <string>

#include "server/latency.h"

namespace magpie {

class Server;

// One command's durations merged over every worker (by CommandSpec::id).
HistogramSnapshot CommandHistogram(Server& s, int id);
// INFO latencystats.
void InfoLatencyStats(Server& s, std::string& out);
// The INFO text of the given sections (lowercase names, "all", "default"),
// as the INFO command replies it.
std::string InfoText(Server& s, const std::vector<std::string>& sections, int64_t now_ms);

}  // namespace magpie
