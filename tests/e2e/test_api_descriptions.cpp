// End-to-end: the server serves its API descriptions, GET /openapi.yaml and
// GET /asyncapi.yaml, as the bytes of docs/openapi.yaml and
// docs/asyncapi.yaml ($API_DOCS is that folder), with the YAML content
// type, and without credentials whatever the server requires.
#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "e2e/harness.h"

using namespace pubsub::e2e;

namespace {

// The bytes of docs/<name>.
std::string doc(const std::string& name) {
  const char* dir = std::getenv("API_DOCS");
  if (dir == nullptr) throw std::runtime_error("API_DOCS must name the docs folder (meson test sets it)");
  std::ifstream file(std::string(dir) + "/" + name, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read " + std::string(dir) + "/" + name);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

void check_served(std::uint16_t port, const std::string& name, const Headers& headers = {}) {
  CAPTURE(name);
  const HttpResponse res = http(port, "GET", "/" + name, "", headers);
  CHECK(res.status == 200);
  CHECK(res.headers.at("content-type") == "application/yaml");
  CHECK(res.headers.at("content-length") == std::to_string(res.body.size()));
  CHECK(res.body == doc(name));
}

}  // namespace

TEST_CASE("GET /openapi.yaml and /asyncapi.yaml answer the files' bytes as application/yaml") {
  ServerProcess server;
  for (const char* name : {"openapi.yaml", "asyncapi.yaml"}) check_served(server.port(), name);
}

TEST_CASE("the descriptions need no credentials, even with --api-key and tokens") {
  ServerProcess server({"--api-key", "k3y", "--jwt-secret", std::string(40, 's')});
  for (const char* name : {"openapi.yaml", "asyncapi.yaml"}) {
    check_served(server.port(), name);
    check_served(server.port(), name, {{"X-API-Key", "wrong"}});
    CHECK(http(server.port(), "POST", std::string("/") + name).status == 401);  // GET only
  }
  CHECK(http(server.port(), "GET", "/topics").status == 401);
}
