// The Prometheus text format writer; see exposition.h.
#include "metrics/exposition.h"

#include <charconv>
#include <cmath>

namespace pubsub::metrics {

namespace {

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and line feed only.
void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void ExpositionWriter::family(std::string_view name, MetricType type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_help(out_, help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void ExpositionWriter::series(std::string_view name, std::string_view suffix, std::initializer_list<Label> labels,
                              std::string_view extra_label, std::string_view extra_value) {
  out_ += name;
  out_ += suffix;
  if (labels.size() == 0 && extra_label.empty()) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  auto label = [&](std::string_view key, std::string_view value) {
    if (!first) out_ += ',';
    first = false;
    out_ += key;
    out_ += "=\"";
    out_ += escape_label_value(value);
    out_ += '"';
  };
  for (const Label& l : labels) label(l.first, l.second);
  if (!extra_label.empty()) label(extra_label, extra_value);
  out_ += "} ";
}

void ExpositionWriter::append_number(double value) {
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, ec == std::errc{} ? end : buffer);
  }
}

void ExpositionWriter::sample(std::string_view name, std::initializer_list<Label> labels, double value) {
  series(name, {}, labels);
  append_number(value);
  out_ += '\n';
}

void ExpositionWriter::sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value) {
  series(name, {}, labels);
  out_ += std::to_string(value);
  out_ += '\n';
}

void ExpositionWriter::sample(std::string_view name, std::initializer_list<Label> labels, std::int64_t value) {
  series(name, {}, labels);
  out_ += std::to_string(value);
  out_ += '\n';
}

void ExpositionWriter::histogram(std::string_view name, std::initializer_list<Label> labels,
                                 const HistogramSnapshot& snapshot, double scale) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < snapshot.counts.size(); ++i) {
    cumulative += snapshot.counts[i];
    std::string bound = "+Inf";
    if (i < snapshot.upper_bounds.size()) {
      char buffer[32];
      auto [end, ec] =
          std::to_chars(buffer, buffer + sizeof buffer, static_cast<double>(snapshot.upper_bounds[i]) / scale);
      bound.assign(buffer, ec == std::errc{} ? end : buffer);
    }
    series(name, "_bucket", labels, "le", bound);
    out_ += std::to_string(cumulative);
    out_ += '\n';
  }
  series(name, "_sum", labels);
  append_number(static_cast<double>(snapshot.sum) / scale);
  out_ += '\n';
  // The +Inf bucket: read one bucket at a time while the writers go on, it
  // may differ from snapshot.count by what they added meanwhile; the
  // format wants them equal.
  series(name, "_count", labels);
  out_ += std::to_string(cumulative);
  out_ += '\n';
}

}  // namespace pubsub::metrics
