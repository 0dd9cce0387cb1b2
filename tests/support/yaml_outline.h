// A reader of the block-style YAML the API descriptions are written in
// (docs/openapi.yaml, docs/asyncapi.yaml), for the tests that compare them
// with the code: every node as the path of keys that leads to it, with its
// scalar value. Not a YAML parser: it reads block mappings and sequences,
// plain and quoted one-line scalars, flow collections on one line (kept as
// text) and block scalars (| and >, kept as their indicator), and throws
// on anything else, such as a plain scalar over several lines.
//
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pubsub::testing {

struct YamlNode {
  std::vector<std::string> path;  // keys from the root; a sequence item's key is its index: "0", "1"...
  std::string value;              // the scalar, unquoted; empty for a mapping or a sequence
};

// Reads `text` into its nodes, in document order. Throws std::runtime_error
// naming the line it cannot read.
std::vector<YamlNode> read_yaml_outline(std::string_view text);

// The nodes whose path matches `pattern` key for key, "*" matching any key.
std::vector<const YamlNode*> yaml_match(const std::vector<YamlNode>& nodes, const std::vector<std::string>& pattern);

// The value of the node at `path`, or "" if there is none.
std::string yaml_value(const std::vector<YamlNode>& nodes, const std::vector<std::string>& path);

// The node at a local reference such as "#/components/schemas/Error", as
// a path of keys ("~1" and "~0" decoded).
std::vector<std::string> yaml_reference_path(std::string_view reference);

}  // namespace pubsub::testing
