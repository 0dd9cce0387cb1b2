// Test tokens; see jwt_signer.h.
#include "support/jwt_signer.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <chrono>
#include <stdexcept>
#include <vector>

namespace pubsub::testing {

std::string base64url(std::string_view bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : bytes) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kDigits[(bits >> count) & 63];
    }
  }
  if (count > 0) out += kDigits[(bits << (6 - count)) & 63];
  return out;
}

std::string hmac_sha256(std::string_view secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

std::string signing_input(std::string_view header_json, std::string_view payload_json) {
  return base64url(header_json) + "." + base64url(payload_json);
}

std::string hs256_token(std::string_view secret, std::string_view payload_json) {
  const std::string input = signing_input(R"({"alg":"HS256","typ":"JWT"})", payload_json);
  return input + "." + base64url(hmac_sha256(secret, input));
}

void KeyPair::KeyFree::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

KeyPair::KeyPair(std::unique_ptr<evp_pkey_st, KeyFree> key, bool ec) : key_(std::move(key)), ec_(ec) {}
KeyPair::KeyPair(KeyPair&&) noexcept = default;
KeyPair::~KeyPair() = default;

KeyPair KeyPair::rsa(int bits) {
  std::unique_ptr<evp_pkey_st, KeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (!key) throw std::runtime_error("RSA key generation failed");
  return KeyPair(std::move(key), false);
}

KeyPair KeyPair::ec_p256() {
  std::unique_ptr<evp_pkey_st, KeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) throw std::runtime_error("EC key generation failed");
  return KeyPair(std::move(key), true);
}

std::string KeyPair::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key_.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string KeyPair::private_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string KeyPair::sign(std::string_view data) const {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::size_t size = 0;
  EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key_.get());
  EVP_DigestSign(context, nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::vector<unsigned char> signature(size);
  EVP_DigestSign(context, signature.data(), &size, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  EVP_MD_CTX_free(context);
  if (!ec_) return std::string(reinterpret_cast<const char*>(signature.data()), size);
  // DER ECDSA-Sig-Value -> R || S, 32 bytes each.
  const unsigned char* in = signature.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(size));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string KeyPair::token(std::string_view payload_json, std::string_view header_json) const {
  const std::string header =
      header_json.empty() ? std::string(ec_ ? R"({"alg":"ES256","typ":"JWT"})" : R"({"alg":"RS256","typ":"JWT"})")
                          : std::string(header_json);
  const std::string input = signing_input(header, payload_json);
  return input + "." + base64url(sign(input));
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace pubsub::testing
