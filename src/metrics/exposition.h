// Writes metrics in the Prometheus text exposition format, version 0.0.4
// (contract section 14): a family's # HELP and # TYPE lines, then its
// samples, with label values escaped and histograms as cumulative
// _bucket{le=...}, _sum and _count series.
//
// Not thread-safe: one writer per scrape, on the thread answering it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "metrics/histogram.h"

namespace pubsub::metrics {

enum class MetricType { counter, gauge, histogram };

using Label = std::pair<std::string_view, std::string_view>;

class ExpositionWriter {
 public:
  // Starts family `name` (a valid metric name) of `type`, with `help`.
  void family(std::string_view name, MetricType type, std::string_view help);
  // One sample of the current family (a counter's name gets no _total
  // added: pass the full name).
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);
  void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value);
  void sample(std::string_view name, std::initializer_list<Label> labels, std::int64_t value);
  // The series of histogram `name` from `snapshot`, whose values are
  // divided by `scale` (1e9 turns nanoseconds into seconds; 1 keeps them).
  void histogram(std::string_view name, std::initializer_list<Label> labels, const HistogramSnapshot& snapshot,
                 double scale = 1);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void series(std::string_view name, std::string_view suffix, std::initializer_list<Label> labels,
              std::string_view extra_label = {}, std::string_view extra_value = {});
  void append_number(double value);

  std::string out_;
};

// `value` escaped for a label value: backslash, double quote and line feed.
std::string escape_label_value(std::string_view value);

}  // namespace pubsub::metrics
