// Redis-style log lines: "pid:M 23 Nov 2026 12:00:00.123 * message".
#pragma once

#include <string>

namespace magpie {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Sends log lines to `path` (appending), or stdout when empty.
bool SetLogFile(const std::string& path);
void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_DEBUG(...) ::magpie::Log(::magpie::LogLevel::kDebug, __VA_ARGS__)
#define LOG_VERBOSE(...) ::magpie::Log(::magpie::LogLevel::kVerbose, __VA_ARGS__)
#define LOG_NOTICE(...) ::magpie::Log(::magpie::LogLevel::kNotice, __VA_ARGS__)
#define LOG_WARNING(...) ::magpie::Log(::magpie::LogLevel::kWarning, __VA_ARGS__)

}  // namespace magpie
