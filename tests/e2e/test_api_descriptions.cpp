// End-to-end: the server serves its compiled-in files without credentials,
// whatever the server requires, each as the bytes of its source file with
// its content type: the API descriptions (GET /openapi.yaml and
// GET /asyncapi.yaml, from docs/; $API_DOCS is that folder), the web
// console (GET /, /console.js, /console.css, from console/) and the
// JavaScript client (GET /client.js, from clients/js/).
#include <catch2/catch_test_macros.hpp>

#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "e2e/harness.h"

using namespace pubsub::e2e;

namespace {

// A file the server serves: its path, its source file relative to the
// project's root, and its content type.
struct ServedFile {
  const char* path;
  const char* source;
  const char* content_type;
};
constexpr std::array<ServedFile, 6> kServedFiles{{
    {"/openapi.yaml", "docs/openapi.yaml", "application/yaml"},
    {"/asyncapi.yaml", "docs/asyncapi.yaml", "application/yaml"},
    {"/", "console/index.html", "text/html; charset=utf-8"},
    {"/console.js", "console/console.js", "text/javascript; charset=utf-8"},
    {"/console.css", "console/console.css", "text/css; charset=utf-8"},
    {"/client.js", "clients/js/client.js", "text/javascript; charset=utf-8"},
}};

// The bytes of `source`, relative to the project's root (the parent of
// $API_DOCS).
std::string source_file(const std::string& source) {
  const char* dir = std::getenv("API_DOCS");
  if (dir == nullptr) throw std::runtime_error("API_DOCS must name the docs folder (meson test sets it)");
  const std::string path = std::string(dir) + "/../" + source;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

void check_served(std::uint16_t port, const ServedFile& served, const Headers& headers = {}) {
  CAPTURE(served.path);
  const HttpResponse res = http(port, "GET", served.path, "", headers);
  CHECK(res.status == 200);
  CHECK(res.headers.at("content-type") == served.content_type);
  CHECK(res.headers.at("content-length") == std::to_string(res.body.size()));
  CHECK(res.body == source_file(served.source));
}

}  // namespace

TEST_CASE("the API descriptions, the console and the client are served as their files' bytes") {
  ServerProcess server;
  for (const ServedFile& served : kServedFiles) check_served(server.port(), served);
}

TEST_CASE("the served files need no credentials, even with --api-key and tokens") {
  ServerProcess server({"--api-key", "k3y", "--jwt-secret", std::string(40, 's')});
  for (const ServedFile& served : kServedFiles) {
    check_served(server.port(), served);
    check_served(server.port(), served, {{"X-API-Key", "wrong"}});
    CHECK(http(server.port(), "POST", served.path).status == 401);  // GET only
  }
  CHECK(http(server.port(), "GET", "/topics").status == 401);
}
