#include "redis/script.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace pubsub::redis {

std::string sha1_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("SHA1 is not available from OpenSSL");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    text.push_back(kHex[digest[i] >> 4]);
    text.push_back(kHex[digest[i] & 0x0f]);
  }
  return text;
}

Script::Script(std::string source) {
  std::string sha1 = sha1_hex(source);
  body_ = std::make_shared<const Body>(Body{std::move(source), std::move(sha1)});
}

}  // namespace pubsub::redis
