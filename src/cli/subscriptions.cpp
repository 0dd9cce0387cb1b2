// Positions and resume of `pubsub sub`; see subscriptions.h.
#include "cli/subscriptions.h"

#include <algorithm>
#include <charconv>

#include "protocol/json_scan.h"

namespace pubsub::cli {

namespace {

constexpr std::string_view kRequestPrefix = "s";

std::string request_id(std::size_t index) {
  std::string id(kRequestPrefix);
  id += std::to_string(index);
  return id;
}

std::optional<std::size_t> request_index(std::string_view id) {
  if (!id.starts_with(kRequestPrefix)) return std::nullopt;
  id.remove_prefix(kRequestPrefix.size());
  std::size_t index = 0;
  auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), index);
  if (id.empty() || ec != std::errc{} || ptr != id.data() + id.size()) return std::nullopt;
  return index;
}

}  // namespace

Subscriptions::Subscriptions(std::vector<std::string> topics, std::optional<std::uint64_t> last_n,
                             std::string client_id)
    : last_n_(last_n), client_id_(std::move(client_id)) {
  for (std::string& topic : topics) {
    Followed followed;
    followed.topic = std::move(topic);
    topics_.push_back(std::move(followed));
  }
}

std::string Subscriptions::request_for(const Followed& followed, std::size_t index) const {
  std::string out = R"({"type":"subscribe","topic":)";
  protocol::append_json_string(out, followed.topic);
  out += R"(,"client_id":)";
  protocol::append_json_string(out, client_id_);
  if (followed.positioned) {
    out += R"(,"since_seq":)" + std::to_string(followed.seq);
    if (!followed.epoch.empty()) {
      out += R"(,"epoch":)";
      protocol::append_json_string(out, followed.epoch);
    }
  } else if (last_n_) {
    out += R"(,"last_n":)" + std::to_string(*last_n_);
  }
  out += R"(,"request_id":")" + request_id(index) + "\"}";
  return out;
}

std::vector<std::string> Subscriptions::subscribe_requests() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < topics_.size(); ++i) {
    Followed& followed = topics_[i];
    if (!followed.followed) continue;
    followed.acknowledged = false;
    followed.resuming = followed.positioned;
    followed.resumed_after = followed.seq;
    out.push_back(request_for(followed, i));
  }
  return out;
}

std::optional<Subscriptions::Acknowledged> Subscriptions::on_ack(const ServerFrame& ack) {
  Followed* followed = ack.request_id ? by_request(*ack.request_id) : nullptr;
  if (followed == nullptr) return std::nullopt;
  followed->acknowledged = true;
  Acknowledged out{.topic = followed->topic, .note = {}, .resumed = followed->resuming};
  const std::string epoch = ack.epoch.value_or("");
  if (followed->resuming) {
    const bool recovered = ack.recovered.value_or(false);
    out.note = followed->topic + " resumed after seq " + std::to_string(followed->resumed_after) +
               " (recovered: " + (recovered ? "true)" : "false): messages may have been missed");
    // Another life of the topic (its seqs start again after the ack's), or
    // a position past the topic's newest seq: nothing was replayed.
    if (ack.seq && (epoch != followed->epoch || *ack.seq < followed->seq)) {
      followed->epoch = epoch;
      followed->seq = *ack.seq;
    }
  } else {
    out.note = followed->topic + " subscribed";
    if (ack.seq) {
      // Before the first replayed event: what last_n asked for is then
      // replayed again should the connection drop before it is printed.
      const std::uint64_t replayed = std::min(last_n_.value_or(0), *ack.seq);
      followed->positioned = true;
      followed->epoch = epoch;
      followed->seq = *ack.seq - replayed;
    }
  }
  return out;
}

std::optional<std::string> Subscriptions::topic_of_request(std::string_view id) const {
  auto index = request_index(id);
  if (!index || *index >= topics_.size()) return std::nullopt;
  return topics_[*index].topic;
}

void Subscriptions::on_event(std::string_view topic, std::uint64_t seq) {
  Followed* followed = find(topic);
  if (followed == nullptr) return;
  followed->positioned = true;
  followed->seq = seq;
}

bool Subscriptions::forget(std::string_view topic) {
  Followed* followed = find(topic);
  if (followed == nullptr) return false;
  followed->followed = false;
  return true;
}

bool Subscriptions::empty() const {
  return std::none_of(topics_.begin(), topics_.end(), [](const Followed& f) { return f.followed; });
}

bool Subscriptions::all_acknowledged() const {
  return std::all_of(topics_.begin(), topics_.end(), [](const Followed& f) { return !f.followed || f.acknowledged; });
}

std::optional<Subscriptions::Position> Subscriptions::position(std::string_view topic) const {
  const Followed* followed = find(topic);
  if (followed == nullptr || !followed->positioned) return std::nullopt;
  return Position{followed->epoch, followed->seq};
}

Subscriptions::Followed* Subscriptions::find(std::string_view topic) {
  for (Followed& followed : topics_) {
    if (followed.followed && followed.topic == topic) return &followed;
  }
  return nullptr;
}

const Subscriptions::Followed* Subscriptions::find(std::string_view topic) const {
  return const_cast<Subscriptions*>(this)->find(topic);
}

Subscriptions::Followed* Subscriptions::by_request(std::string_view id) {
  auto index = request_index(id);
  if (!index || *index >= topics_.size() || !topics_[*index].followed) return nullptr;
  return &topics_[*index];
}

}  // namespace pubsub::cli
