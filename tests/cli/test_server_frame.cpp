// Reading the server's frames and error bodies.
#include <catch2/catch_test_macros.hpp>

#include "cli/server_frame.h"

using namespace pubsub::cli;

TEST_CASE("an event's topic and seq") {
  const auto frame = read_server_frame_fields(
      R"({"type":"event","topic":"orders","message":{"id":"x","payload":{"seq":99,"topic":"no"}},"seq":42,"ts":"t"})");
  REQUIRE(frame);
  CHECK(frame->type == FrameType::event);
  CHECK(frame->topic == "orders");
  CHECK(frame->seq == 42u);
  CHECK_FALSE(frame->request_id);
}

TEST_CASE("an ack's request id, epoch, seq and recovered") {
  const auto frame = read_server_frame_fields(
      R"({"type":"ack","request_id":"s0","topic":"t","status":"ok","epoch":"q3J","seq":41,"recovered":false,"ts":"t"})");
  REQUIRE(frame);
  CHECK(frame->type == FrameType::ack);
  CHECK(frame->request_id == "s0");
  CHECK(frame->epoch == "q3J");
  CHECK(frame->seq == 41u);
  CHECK(frame->recovered == false);
}

TEST_CASE("errors and infos") {
  const auto error = read_server_frame_fields(
      R"({"type":"error","request_id":"p\u0031","error":{"code":"TOPIC_NOT_FOUND","message":"topic 'a' does not exist"}})");
  REQUIRE(error);
  CHECK(error->type == FrameType::error);
  CHECK(error->request_id == "p1");
  REQUIRE(error->error);
  CHECK(error->error->code == "TOPIC_NOT_FOUND");
  CHECK(error->error->message == "topic 'a' does not exist");

  const auto dropped = read_server_frame_fields(R"({"type":"info","topic":"o","msg":"dropped","dropped":17})");
  CHECK(dropped->type == FrameType::info);
  CHECK(dropped->msg == "dropped");
  CHECK(dropped->dropped == 17u);
  CHECK(read_server_frame_fields(R"({"type":"pong"})")->type == FrameType::pong);
  CHECK(read_server_frame_fields(R"({"type":"new"})")->type == FrameType::other);
}

TEST_CASE("REST error bodies; anything else has no error object") {
  const auto error = read_error_object(R"({"error":{"code":"UNAUTHORIZED","message":"missing API key"}})");
  REQUIRE(error);
  CHECK(error->code == "UNAUTHORIZED");
  CHECK_FALSE(read_error_object(R"({"status":"ok"})"));
  CHECK_FALSE(read_error_object(R"({"error":"text"})"));
  CHECK_FALSE(read_error_object("not json"));
  CHECK_FALSE(read_server_frame_fields("[1]"));
  CHECK_FALSE(read_server_frame_fields(R"({"seq":-1})")->seq);
}
