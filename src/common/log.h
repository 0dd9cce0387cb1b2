// Structured logging to standard error, as text or one JSON object a line.
//
// configure() once at start-up, before other threads exist; write() from
// any thread (each line is one write(2), so lines never interleave).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace pubsub::log {

enum class Level { debug, info, warn, error };
enum class Format { text, json };

// A key and its value; numbers stay unquoted in JSON.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v), quoted(true) {}
  Field(std::string_view k, const char* v) : key(k), value(v), quoted(true) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v), quoted(true) {}
  template <typename Int>
    requires std::is_integral_v<Int>
  Field(std::string_view k, Int v) : key(k), value(std::to_string(v)), quoted(false) {}

  std::string_view key;
  std::string value;
  bool quoted;
};

void configure(Level level, Format format);
bool enabled(Level level);
// Writes one line if `level` is enabled.
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::error, m, f); }

// Renders one line (without writing it); exposed for tests.
std::string format_line(Format format, Level level, std::string_view time, std::string_view message,
                        std::initializer_list<Field> fields);

}  // namespace pubsub::log
