// Standard output and standard error; see output.h.
#include "cli/output.h"

#include <cstdio>
#include <string>

#include "cli/json_text.h"

namespace pubsub::cli {

void print_line(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void print_json(std::string_view json, bool pretty) { print_line(pretty ? pretty_json(json) : compact_json(json)); }

void report(std::string_view message) {
  std::string line = "pubsub: ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace pubsub::cli
