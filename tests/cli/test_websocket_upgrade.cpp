// The client's opening handshake: the request, and the checks of the answer.
#include <catch2/catch_test_macros.hpp>

#include "cli/websocket_upgrade.h"
#include "protocol/websocket_handshake.h"

using namespace pubsub::cli;

TEST_CASE("the accept value of RFC 6455 section 1.3's example") {
  CHECK(websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("keys are fresh base64 of 16 bytes") {
  const std::string key = new_websocket_key();
  CHECK(pubsub::protocol::is_websocket_key(key));
  CHECK(key != new_websocket_key());
}

TEST_CASE("the request carries the target, the key and the credentials") {
  const std::string request =
      upgrade_request("h:8080", "/p/ws", "KEY", {{"X-API-Key", "k"}, {"Authorization", "Bearer t"}});
  CHECK(request.starts_with("GET /p/ws HTTP/1.1\r\nHost: h:8080\r\n"));
  CHECK(request.find("\r\nUpgrade: websocket\r\n") != std::string::npos);
  CHECK(request.find("\r\nSec-WebSocket-Key: KEY\r\n") != std::string::npos);
  CHECK(request.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
  CHECK(request.find("\r\nX-API-Key: k\r\n") != std::string::npos);
  CHECK(request.find("\r\nAuthorization: Bearer t\r\n") != std::string::npos);
  CHECK(request.ends_with("\r\n\r\n"));
}

TEST_CASE("an answer accepts the upgrade only with 101 and the right accept value") {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  const auto good = parse_response_head(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  REQUIRE(good);
  CHECK(good->status == 101);
  CHECK(upgrade_accepted(*good, key));
  CHECK_FALSE(upgrade_accepted(*good, "AAAAAAAAAAAAAAAAAAAAAA=="));
  const auto no_upgrade = parse_response_head(
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  CHECK_FALSE(upgrade_accepted(*no_upgrade, key));
}

TEST_CASE("a refusal's status and body length") {
  const auto refused = parse_response_head(
      "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\ncontent-length:  57 \r\n\r\n");
  REQUIRE(refused);
  CHECK(refused->status == 401);
  CHECK(refused->content_length == 57);
  CHECK(refused->headers.at("content-type") == "application/json");
  CHECK_FALSE(upgrade_accepted(*refused, "x"));
  CHECK_FALSE(parse_response_head("SSH-2.0-OpenSSH\r\n\r\n"));
  CHECK_FALSE(parse_response_head("HTTP/1.1 abc\r\n\r\n"));
}
