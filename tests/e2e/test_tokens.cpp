// End-to-end: tokens and permissions (contract section 11) against the real
// server: the upgrade with a token in the header or the query, every reason
// a token is refused (alg none, key confusion, a tampered payload, expiry,
// another audience or issuer), grants per topic over WebSocket and REST
// (chat.* does not match chatroom), TOKEN_EXPIRED with 1008, `sub` in the
// logs and credentials nowhere in them; and the token-issuing example.
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "e2e/harness.h"
#include "support/jwt_signer.h"

using namespace pubsub::e2e;
namespace json = boost::json;
namespace signer = pubsub::testing;
using Catch::Matchers::ContainsSubstring;

namespace {

const std::string kSecret = "an-e2e-secret-that-is-32-bytes-long!";

// Claims expiring `ttl` seconds from now (negative: in the past), with the
// `pubsub` claim `grants` and any `more` members.
std::string claims(const std::string& grants, std::int64_t ttl = 300, const std::string& more = {}) {
  return R"({"sub":"alice","aud":"pubsub","exp":)" + std::to_string(signer::now_seconds() + ttl) + R"(,"pubsub":)" +
         grants + more + "}";
}

const std::string kChatGrants = R"({"subscribe":["chat.*"],"publish":["chat.room1"]})";

Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// A file holding `text` in a directory of the test's own, removed with it.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static int count = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("pubsub-e2e-key-" + std::to_string(::getpid()) + "-" + std::to_string(++count) + ".pem");
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

json::object request_reply(WsClient& ws, const std::string& type, const std::string& topic, const std::string& id) {
  if (type == "publish") {
    ws.send_json(publish_request(topic, 1, id));
  } else {
    ws.send(R"({"type":")" + type + R"(","topic":")" + topic + R"(","client_id":"c","request_id":")" + id + R"("})");
  }
  return ws.next();
}

}  // namespace

TEST_CASE("the upgrade takes a valid token in Authorization or ?token=, or an API key; anything else is 401") {
  ServerProcess server({"--jwt-secret", kSecret, "--jwt-audience", "pubsub", "--api-key", "k3y"});
  const std::string good = signer::hs256_token(kSecret, claims(kChatGrants));
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer(good)) == 101);
  CHECK(WsClient::try_connect(server.port(), "/ws?token=" + good) == 101);
  CHECK(WsClient::try_connect(server.port(), "/ws", {{"X-API-Key", "k3y"}}) == 101);
  CHECK(WsClient::try_connect(server.port(), "/ws?api_key=k3y") == 101);

  CHECK(WsClient::try_connect(server.port(), "/ws") == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer("not.a.token")) == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws", {{"Authorization", "Basic " + good}}) == 401);
  // alg none, unsigned.
  const std::string none = signer::signing_input(R"({"alg":"none","typ":"JWT"})", claims(kChatGrants)) + ".";
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer(none)) == 401);
  // A tampered payload: the grants widened, the signature kept.
  const std::string widened = signer::base64url(claims(R"({"subscribe":["*"],"publish":["*"],"admin":true})"));
  const auto first_dot = good.find('.');
  const std::string tampered = good.substr(0, first_dot + 1) + widened + good.substr(good.rfind('.'));
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer(tampered)) == 401);
  // Expired beyond the 60 s of skew; another audience; another secret.
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer(signer::hs256_token(kSecret, claims("{}", -61)))) == 401);
  const std::string other_audience =
      R"({"sub":"a","aud":"another-service","exp":)" + std::to_string(signer::now_seconds() + 300) + "}";
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer(signer::hs256_token(kSecret, other_audience))) == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws",
                              bearer(signer::hs256_token("another-secret-that-is-32-bytes-long", claims("{}")))) ==
        401);
  // Within the skew: still accepted.
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer(signer::hs256_token(kSecret, claims("{}", -30)))) == 101);

  const HttpResponse refused = http(server.port(), "GET", "/ws", "", bearer(tampered));
  CHECK(refused.status == 401);
}

TEST_CASE("RS256 and ES256: the public key's type sets the algorithm; key confusion is refused") {
  const signer::KeyPair rsa = signer::KeyPair::rsa();
  const TempFile rsa_pem(rsa.public_pem());
  ServerProcess server({"--jwt-public-key", rsa_pem.path(), "--jwt-issuer", "https://issuer.example"});
  const std::string iss = R"(,"iss":"https://issuer.example")";
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer(rsa.token(claims("{}", 300, iss)))) == 101);
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer(rsa.token(claims("{}", 300)))) == 401);  // no iss
  CHECK(WsClient::try_connect(server.port(), "/ws",
                              bearer(rsa.token(claims("{}", 300, R"(,"iss":"https://evil.example")")))) == 401);
  // HS256 signed with the public key's PEM as the secret.
  CHECK(WsClient::try_connect(server.port(), "/ws",
                              bearer(signer::hs256_token(rsa.public_pem(), claims("{}", 300, iss)))) == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws", bearer(signer::KeyPair::rsa().token(claims("{}", 300, iss)))) ==
        401);

  const signer::KeyPair ec = signer::KeyPair::ec_p256();
  const TempFile ec_pem(ec.public_pem());
  ServerProcess es_server({"--jwt-public-key", ec_pem.path()});
  CHECK(WsClient::try_connect(es_server.port(), "/ws", bearer(ec.token(claims("{}")))) == 101);
  CHECK(WsClient::try_connect(es_server.port(), "/ws", bearer(rsa.token(claims("{}")))) == 401);
  CHECK(WsClient::try_connect(es_server.port(), "/ws", bearer(signer::hs256_token(ec.public_pem(), claims("{}")))) ==
        401);
}

TEST_CASE("grants per topic over WebSocket: chat.* does not grant chatroom; FORBIDDEN keeps the connection") {
  ServerProcess server({"--jwt-secret", kSecret, "--api-key", "k3y"});
  for (const char* topic : {"chat.room1", "chat.room2", "chatroom"}) {
    REQUIRE(create_topic(server.port(), topic, {{"X-API-Key", "k3y"}}) == 201);
  }
  WsClient ws(server.port(), "/ws", bearer(signer::hs256_token(kSecret, claims(kChatGrants))));
  CHECK(request_reply(ws, "subscribe", "chat.room2", "s1").at("type") == "ack");
  const json::object refused = request_reply(ws, "subscribe", "chatroom", "s2");
  CHECK(refused.at("type") == "error");
  CHECK(refused.at("request_id") == "s2");
  CHECK(refused.at("error").at("code") == "FORBIDDEN");
  const json::object publish_refused = request_reply(ws, "publish", "chat.room2", "p1");
  CHECK(publish_refused.at("error").at("code") == "FORBIDDEN");
  CHECK(request_reply(ws, "publish", "chat.room1", "p2").at("type") == "ack");
  CHECK(request_reply(ws, "publish", "chat.room2", "p3").at("error").at("code") == "FORBIDDEN");  // cached
  CHECK(request_reply(ws, "publish", "chat.room1", "p4").at("type") == "ack");
  CHECK(http(server.port(), "GET", "/topics/chatroom", "", {{"X-API-Key", "k3y"}}).json().at("subscribers") == 0);
  CHECK(http(server.port(), "GET", "/topics/chat.room2", "", {{"X-API-Key", "k3y"}}).json().at("messages") == 0);

  // The granted subscription receives; a key-holding connection may do anything.
  WsClient admin(server.port(), "/ws?api_key=k3y");
  CHECK(admin.publish("chat.room2", 7).at("type") == "ack");
  CHECK(ws.next().at("type") == "event");
  CHECK(request_reply(admin, "subscribe", "chatroom", "a1").at("type") == "ack");
}

TEST_CASE("grants over REST: reading needs any token, admin changes topics, publish grants HTTP publishing") {
  ServerProcess server({"--jwt-secret", kSecret});
  const Headers reader = bearer(signer::hs256_token(kSecret, claims("{}")));
  const Headers admin = bearer(signer::hs256_token(kSecret, claims(R"({"admin":true})")));
  const Headers chat = bearer(signer::hs256_token(kSecret, claims(kChatGrants)));
  CHECK(http(server.port(), "GET", "/health").status == 200);
  CHECK(http(server.port(), "GET", "/topics").status == 401);
  CHECK(http(server.port(), "GET", "/topics", "", reader).status == 200);
  const HttpResponse not_admin = http(server.port(), "POST", "/topics", R"({"name":"chat.room1"})", reader);
  CHECK(not_admin.status == 403);
  CHECK(not_admin.json().at("error").at("code") == "FORBIDDEN");
  CHECK(create_topic(server.port(), "chat.room1", admin) == 201);
  CHECK(create_topic(server.port(), "chatroom", admin) == 201);
  const std::string body = json::serialize(json::object{{"id", uuid()}, {"payload", 1}});
  CHECK(http(server.port(), "POST", "/topics/chat.room1/messages", body, chat).status == 201);
  const HttpResponse refused = http(server.port(), "POST", "/topics/chatroom/messages", body, chat);
  CHECK(refused.status == 403);
  CHECK(refused.json().at("error").at("code") == "FORBIDDEN");
  CHECK(http(server.port(), "GET", "/topics/chat.room1/messages", "", reader).json().at("messages").as_array().size() ==
        1);
  CHECK(http(server.port(), "DELETE", "/topics/chatroom", "", chat).status == 403);
  CHECK(http(server.port(), "DELETE", "/topics/chatroom", "", admin).status == 200);
  CHECK(http(server.port(), "GET", "/topics", "", {{"Authorization", "Bearer x.y.z"}}).status == 401);
}

TEST_CASE("one keep-alive connection, several tokens: each request gets its own token's grants") {
  ServerProcess server({"--jwt-secret", kSecret});
  const std::string admin = signer::hs256_token(kSecret, claims(R"({"admin":true})"));
  const std::string reader = signer::hs256_token(kSecret, claims("{}"));
  auto post = [](const std::string& token, const std::string& name) {
    const std::string body = R"({"name":")" + name + R"("})";
    return "POST /topics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  // The connection's remembered token must neither lend its grants to the
  // next token nor accept a forgery of it.
  const std::vector<HttpResponse> answers =
      raw_http_responses(server.port(),
                         post(admin, "kept.a") + post(admin, "kept.b") + post(reader, "kept.c") +
                             post(admin, "kept.d") + post(admin + "x", "kept.e") + post(admin, "kept.f"),
                         6);
  REQUIRE(answers.size() == 6);
  CHECK(answers[0].status == 201);
  CHECK(answers[1].status == 201);
  CHECK(answers[2].status == 403);
  CHECK(answers[3].status == 201);
  CHECK(answers[4].status == 401);
  CHECK(answers[5].status == 201);
  const auto topics = http(server.port(), "GET", "/topics", "", bearer(reader)).json().at("topics").as_array();
  CHECK(topics.size() == 4);
}

TEST_CASE("a connection's token expires: TOKEN_EXPIRED without request_id, then close 1008; resume goes on") {
  ServerProcess server({"--jwt-secret", kSecret});
  REQUIRE(create_topic(server.port(), "chat.room1",
                       bearer(signer::hs256_token(kSecret, claims(R"({"admin":true})")))) == 201);
  // Expired 58 s ago: accepted within the 60 s of skew, it lapses in 2 s.
  WsClient ws(server.port(), "/ws", bearer(signer::hs256_token(kSecret, claims(kChatGrants, -58))));
  ws.subscribe("chat.room1");
  WsClient publisher(server.port(), "/ws", bearer(signer::hs256_token(kSecret, claims(kChatGrants))));
  CHECK(publisher.publish("chat.room1", 1).at("type") == "ack");
  CHECK(ws.next().at("type") == "event");
  const json::object expired = ws.next(6s);
  CHECK(expired.at("type") == "error");
  CHECK(expired.at("error").at("code") == "TOKEN_EXPIRED");
  CHECK_FALSE(expired.contains("request_id"));
  CHECK(ws.wait_closed() == 1008);

  // A new token resumes where the old one stopped.
  WsClient again(server.port(), "/ws", bearer(signer::hs256_token(kSecret, claims(kChatGrants))));
  CHECK(again.publish("chat.room1", 2).at("type") == "ack");
  again.send(R"({"type":"subscribe","topic":"chat.room1","client_id":"c","since_seq":1})");
  const json::object ack = again.next();
  CHECK(ack.at("type") == "ack");
  CHECK(again.next().at("seq") == 2);
}

TEST_CASE("the logs name a token's sub and never show a credential; /stats neither") {
  ServerProcess server({"--jwt-secret", kSecret, "--api-key", "k3y-not-to-be-logged", "--log-level", "debug"});
  const std::string token = signer::hs256_token(kSecret, claims(kChatGrants));
  {
    WsClient ws(server.port(), "/ws?token=" + token);
    ws.send(R"({"type":"ping"})");
    ws.next();
    ws.close();
    ws.wait_closed();
  }
  CHECK(http(server.port(), "GET", "/topics", "", bearer(token)).status == 200);
  CHECK(http(server.port(), "GET", "/topics", "", bearer(token + "x")).status == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws?api_key=wrong-key-value") == 401);
  const HttpResponse stats = http(server.port(), "GET", "/stats", "", {{"X-API-Key", "k3y-not-to-be-logged"}});
  CHECK(stats.status == 200);
  std::this_thread::sleep_for(200ms);
  const std::string log = server.log();
  CHECK_THAT(log, ContainsSubstring("alice"));
  for (const std::string& secret : {token.substr(token.rfind('.') + 1), token.substr(0, 30),
                                    std::string("k3y-not-to-be-logged"), kSecret, std::string("wrong-key-value")}) {
    CHECK_THAT(log, !ContainsSubstring(secret));
    CHECK_THAT(stats.body, !ContainsSubstring(secret));
  }
}

TEST_CASE("examples/issue_token.mjs issues HS256 and ES256 tokens the server accepts, with the grants asked for") {
  const char* node = std::getenv("NODE");
  const char* script = std::getenv("ISSUE_TOKEN");
  REQUIRE(node != nullptr);
  REQUIRE(script != nullptr);
  ServerProcess hs({"--jwt-secret", kSecret});
  const ProcessResult hs_token =
      run_program(node, {script, "--sub", "carol", "--subscribe", "chat.*", "--publish", "chat.carol", "--admin"},
                  {{"PUBSUB_JWT_SECRET", kSecret}});
  REQUIRE(hs_token.exit_code == 0);
  std::string token = hs_token.out.substr(0, hs_token.out.find('\n'));
  CHECK(create_topic(hs.port(), "chat.carol", bearer(token)) == 201);
  CHECK(create_topic(hs.port(), "chatroom", bearer(token)) == 201);
  WsClient ws(hs.port(), "/ws?token=" + token);
  CHECK(ws.publish("chat.carol", 1).at("type") == "ack");
  CHECK(request_reply(ws, "subscribe", "chatroom", "s").at("error").at("code") == "FORBIDDEN");

  const signer::KeyPair ec = signer::KeyPair::ec_p256();
  const TempFile public_pem(ec.public_pem());
  const std::string private_path = public_pem.path() + ".private";
  std::ofstream(private_path) << ec.private_pem();
  ServerProcess es({"--jwt-public-key", public_pem.path(), "--jwt-audience", "pubsub"});
  const ProcessResult es_token = run_program(node, {script, "--key", private_path, "--sub", "dave", "--aud", "pubsub"});
  std::filesystem::remove(private_path);
  REQUIRE(es_token.exit_code == 0);
  token = es_token.out.substr(0, es_token.out.find('\n'));
  CHECK(http(es.port(), "GET", "/topics", "", bearer(token)).status == 200);
  CHECK(http(es.port(), "POST", "/topics", R"({"name":"x"})", bearer(token)).status == 403);  // no admin asked
  // Without a secret or a key it says what it needs and fails.
  const ProcessResult missing = run_program(node, {script, "--sub", "eve"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, ContainsSubstring("PUBSUB_JWT_SECRET"));
}
