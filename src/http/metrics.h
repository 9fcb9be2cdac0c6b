// The bodies the HTTP port serves: Prometheus text, the dashboard's JSON
// and the dashboard page itself.
#pragma once

#include <string>
#include <vector>

namespace magpie {

class Server;

// Prometheus text exposition format 0.0.4. `rates` are commands per second
// by CommandSpec::id (HttpServer::CommandRates).
std::string PrometheusMetrics(Server& s, const std::vector<double>& rates);
// What the dashboard polls every second: INFO's figures and per-command data.
std::string DashboardJson(Server& s, const std::vector<double>& rates);
// The dashboard page (http/dashboard.html, embedded at build time).
const std::string& DashboardHtml();

}  // namespace magpie
