// Eviction-quality trace replayer and latency probe for `make bench`.
//
//   trace replay  --port P [--keys N] [--requests R] [--warmup W] [--alpha A]
//                 [--scan-frac F] [--pipeline D] [--seed S]
//     Replays a Zipf(A) trace over N distinct keys (key:%07d, 32-byte values):
//     GET, and SET on a miss, D requests per round trip. With --scan-frac F,
//     a fraction F of the requests are one-hit wonders (scan:%010d, each key
//     requested once). Prints one JSON line: hit ratios over the requests
//     after the first W (overall and for the Zipf keys alone).
//
//   trace latency --port P [--seconds T] [--write-rate W]
//     Writes new keys at W SETs/s on one connection while another GETs a
//     hot set of 10,000 keys one request at a time; prints the GET latency
//     percentiles (µs) as one JSON line.
//
//   trace perfect-lfu --capacity K [replay's trace options]
//     No server: what a perfect LFU holding K keys would hit on the same
//     trace (exact counts of every key ever seen), the bound a frequency
//     policy with K keys cannot pass. Prints one JSON line.
//
// The same binary and seed drive Magpie and redis-server, so both see the
// identical request sequence.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <thread>
#include <vector>

#include "loadgen.h"

namespace {

struct Options {
  std::string mode;
  int port = 0;
  uint64_t keys = 1000000;
  uint64_t requests = 3000000;
  uint64_t warmup = 1000000;
  double alpha = 0.99;
  double scan_frac = 0;
  int pipeline = 64;
  uint64_t seed = 20261201;
  double seconds = 5;
  int write_rate = 20000;
  uint64_t capacity = 100000;
};

[[noreturn]] void Die(const char* what) {
  perror(what);
  exit(1);
}

class Conn {
 public:
  explicit Conn(int port) : fd_(loadgen::ConnectLoopback(port)) {}
  ~Conn() { close(fd_); }

  void Send(const std::string& s) { loadgen::SendAll(fd_, s); }
  // Reads one reply: returns true for a non-null bulk or a simple string,
  // false for a null bulk; exits on an error reply.
  bool Reply() {
    std::string line = Line();
    if (line[0] == '-') {
      fprintf(stderr, "error reply: %s\n", line.c_str());
      exit(1);
    }
    if (line[0] != '$') return true;
    long len = atol(line.c_str() + 1);
    if (len < 0) return false;
    Need(static_cast<size_t>(len) + 2);
    pos_ += static_cast<size_t>(len) + 2;
    return true;
  }

 private:
  void Need(size_t n) {
    while (buf_.size() - pos_ < n) Fill();
  }
  void Fill() {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    }
    char tmp[65536];
    ssize_t n = read(fd_, tmp, sizeof(tmp));
    if (n <= 0) Die("read");
    buf_.append(tmp, static_cast<size_t>(n));
  }
  std::string Line() {
    for (;;) {
      size_t e = buf_.find("\r\n", pos_);
      if (e != std::string::npos) {
        std::string l = buf_.substr(pos_, e - pos_);
        pos_ = e + 2;
        return l;
      }
      Fill();
    }
  }

  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

void AppendCmd(std::string& out, std::initializer_list<std::string_view> args) {
  out += "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out.append(a);
    out += "\r\n";
  }
}

// Samples ranks 0..n-1 with P(rank k) proportional to 1/(k+1)^alpha.
class Zipf {
 public:
  Zipf(uint64_t n, double alpha) : cdf_(n) {
    double sum = 0;
    for (uint64_t k = 0; k < n; ++k) {
      sum += 1.0 / std::pow(static_cast<double>(k + 1), alpha);
      cdf_[k] = sum;
    }
    for (double& c : cdf_) c /= sum;
  }
  uint64_t Sample(double u) const {
    return static_cast<uint64_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

// The request sequence of a trace: the same for a seed whatever replays it.
class TraceGen {
 public:
  explicit TraceGen(const Options& o) : o_(o), rng_(o.seed), zipf_(o.keys, o.alpha), perm_(o.keys) {
    // Popularity rank -> key id, shuffled so popular keys are not neighbours.
    for (uint64_t i = 0; i < o.keys; ++i) perm_[i] = static_cast<uint32_t>(i);
    std::shuffle(perm_.begin(), perm_.end(), rng_);
  }
  // The next request's key id: a Zipf key is < keys, a one-hit wonder >= keys.
  uint64_t Next() {
    if (o_.scan_frac > 0 && uni_(rng_) < o_.scan_frac) return o_.keys + scans_++;
    return perm_[zipf_.Sample(uni_(rng_))];
  }
  bool IsZipf(uint64_t id) const { return id < o_.keys; }
  void Name(uint64_t id, char* key, size_t n) const {
    if (IsZipf(id)) {
      snprintf(key, n, "key:%07u", static_cast<unsigned>(id));
    } else {
      snprintf(key, n, "scan:%010llu", static_cast<unsigned long long>(id - o_.keys));
    }
  }

 private:
  const Options& o_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uni_{0, 1};
  Zipf zipf_;
  std::vector<uint32_t> perm_;
  uint64_t scans_ = 0;
};

// What a perfect LFU would hit on the same trace holding `capacity` keys:
// exact counts of every key ever requested (resident or not), and a missed
// key replaces the least-counted resident only if its count is higher.
// An upper bound for any frequency-based policy with that many keys.
void PerfectLfu(const Options& o) {
  TraceGen gen(o);
  std::unordered_map<uint64_t, uint32_t> count;
  std::set<std::pair<uint32_t, uint64_t>> resident;  // (count, id), least first
  uint64_t gets = 0, zipf_hits = 0, zipf_gets = 0, hits = 0;
  for (uint64_t done = 0; done < o.requests; ++done) {
    uint64_t id = gen.Next();
    uint32_t& n = count[id];
    bool hit = resident.erase({n, id}) > 0;
    ++n;
    if (hit) {
      resident.insert({n, id});
    } else if (resident.size() < o.capacity) {
      resident.insert({n, id});
    } else if (!resident.empty() && resident.begin()->first < n) {
      resident.erase(resident.begin());
      resident.insert({n, id});
    }
    if (done >= o.warmup) {
      ++gets;
      hits += hit;
      if (gen.IsZipf(id)) {
        ++zipf_gets;
        zipf_hits += hit;
      }
    }
  }
  printf("{\"capacity\": %llu, \"measured\": %llu, \"hit_ratio\": %.5f, \"zipf_hit_ratio\": %.5f}\n",
         static_cast<unsigned long long>(o.capacity), static_cast<unsigned long long>(gets),
         gets ? static_cast<double>(hits) / gets : 0.0,
         zipf_gets ? static_cast<double>(zipf_hits) / zipf_gets : 0.0);
}

void Replay(const Options& o) {
  TraceGen gen(o);
  const std::string value(32, 'v');
  Conn c(o.port);
  uint64_t done = 0;
  uint64_t hits = 0, gets = 0, zipf_hits = 0, zipf_gets = 0;
  std::vector<std::string> batch;
  std::vector<bool> is_zipf;
  char key[32];
  auto t0 = std::chrono::steady_clock::now();
  while (done < o.requests) {
    batch.clear();
    is_zipf.clear();
    std::string out;
    for (int i = 0; i < o.pipeline && done + batch.size() < o.requests; ++i) {
      uint64_t id = gen.Next();
      gen.Name(id, key, sizeof(key));
      batch.emplace_back(key);
      is_zipf.push_back(gen.IsZipf(id));
      AppendCmd(out, {"GET", batch.back()});
    }
    c.Send(out);
    out.clear();
    int misses = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      bool hit = c.Reply();
      if (done + i >= o.warmup) {
        ++gets;
        hits += hit;
        if (is_zipf[i]) {
          ++zipf_gets;
          zipf_hits += hit;
        }
      }
      if (!hit) {
        AppendCmd(out, {"SET", batch[i], value});
        ++misses;
      }
    }
    if (misses > 0) {
      c.Send(out);
      for (int i = 0; i < misses; ++i) c.Reply();
    }
    done += batch.size();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  printf("{\"requests\": %llu, \"measured\": %llu, \"hits\": %llu, \"hit_ratio\": %.5f, "
         "\"zipf_hit_ratio\": %.5f, \"seconds\": %.2f}\n",
         static_cast<unsigned long long>(o.requests), static_cast<unsigned long long>(gets),
         static_cast<unsigned long long>(hits), gets ? static_cast<double>(hits) / gets : 0.0,
         zipf_gets ? static_cast<double>(zipf_hits) / zipf_gets : 0.0, secs);
}

void Latency(const Options& o) {
  constexpr int kHot = 10000;
  const std::string value(32, 'v');
  char key[32];
  {
    Conn c(o.port);
    std::string out;
    for (int i = 0; i < kHot; ++i) {
      snprintf(key, sizeof(key), "hot:%05d", i);
      AppendCmd(out, {"SET", key, value});
    }
    c.Send(out);
    for (int i = 0; i < kHot; ++i) c.Reply();
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    Conn c(o.port);
    constexpr int kBatch = 20;
    auto period = std::chrono::duration<double>(kBatch / static_cast<double>(o.write_rate));
    auto next = std::chrono::steady_clock::now();
    char k[32];
    for (uint64_t n = 0; !stop.load();) {
      std::string out;
      for (int i = 0; i < kBatch; ++i) {
        snprintf(k, sizeof(k), "fill:%010llu", static_cast<unsigned long long>(n++));
        AppendCmd(out, {"SET", k, value});
      }
      c.Send(out);
      for (int i = 0; i < kBatch; ++i) c.Reply();
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
      std::this_thread::sleep_until(next);
    }
  });
  Conn c(o.port);
  std::mt19937_64 rng(o.seed);
  std::vector<double> us;
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.seconds);
  while (std::chrono::steady_clock::now() < end) {
    snprintf(key, sizeof(key), "hot:%05d", static_cast<int>(rng() % kHot));
    std::string out;
    AppendCmd(out, {"GET", key});
    auto t = std::chrono::steady_clock::now();
    c.Send(out);
    c.Reply();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count());
  }
  stop.store(true);
  writer.join();
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us.empty() ? 0.0 : us[static_cast<size_t>(p * (us.size() - 1))]; };
  printf("{\"samples\": %zu, \"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f}\n", us.size(),
         pct(0.5), pct(0.99), pct(0.999));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    fprintf(stderr, "usage: trace replay|latency --port P [options] | trace perfect-lfu --capacity K\n");
    return 2;
  }
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string f = argv[i];
    const char* v = argv[i + 1];
    if (f == "--port") o.port = atoi(v);
    else if (f == "--keys") o.keys = strtoull(v, nullptr, 10);
    else if (f == "--requests") o.requests = strtoull(v, nullptr, 10);
    else if (f == "--warmup") o.warmup = strtoull(v, nullptr, 10);
    else if (f == "--alpha") o.alpha = atof(v);
    else if (f == "--scan-frac") o.scan_frac = atof(v);
    else if (f == "--pipeline") o.pipeline = atoi(v);
    else if (f == "--seed") o.seed = strtoull(v, nullptr, 10);
    else if (f == "--seconds") o.seconds = atof(v);
    else if (f == "--write-rate") o.write_rate = atoi(v);
    else if (f == "--capacity") o.capacity = strtoull(v, nullptr, 10);
    else {
      fprintf(stderr, "unknown flag %s\n", f.c_str());
      return 2;
    }
  }
  if (o.mode == "perfect-lfu") {
    PerfectLfu(o);
    return 0;
  }
  if (o.port == 0) {
    fprintf(stderr, "--port is required\n");
    return 2;
  }
  if (o.mode == "replay") {
    Replay(o);
  } else if (o.mode == "latency") {
    Latency(o);
  } else {
    fprintf(stderr, "unknown mode %s\n", o.mode.c_str());
    return 2;
  }
  return 0;
}
