// A small Prometheus metrics registry: counters, gauges and histograms with labels, rendered
// in the text exposition format. Thread-safe; updates are lock-free after first use.
#pragma once

#include <absl/base/thread_annotations.h>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tmsteams::common {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
public:
    void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> value_{0};
};

class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double v);
    void observe(std::chrono::nanoseconds d) { observe(std::chrono::duration<double>(d).count()); }
    // Bucket counts (cumulative, as Prometheus wants), sum and count.
    void snapshot(std::vector<uint64_t>& cumulative, double& sum, uint64_t& count) const;
    const std::vector<double>& bounds() const { return bounds_; }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound, plus +Inf
    std::atomic<uint64_t> count_{0};
    std::atomic<uint64_t> sumMicros_{0};
};

class Metrics {
public:
    static Metrics& instance();

    Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
    Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels = {},
                         std::vector<double> bounds = defaultLatencyBounds());
    // A value read when rendering: a gauge, or (type "counter") a counter kept elsewhere.
    void gauge(const std::string& name, const std::string& help, std::function<double()> read,
               const Labels& labels = {}, const std::string& type = "gauge");

    // The text exposition format (version 0.0.4).
    std::string render() const;
    static std::vector<double> defaultLatencyBounds();

private:
    struct Family {
        std::string help;
        std::string type;
        std::map<std::string, std::unique_ptr<Counter>> counters;
        std::map<std::string, std::unique_ptr<Histogram>> histograms;
        std::map<std::string, std::function<double()>> gauges;
    };
    mutable std::mutex mu_;  // guards families_ (not the values)
    std::map<std::string, Family> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tmsteams::common
