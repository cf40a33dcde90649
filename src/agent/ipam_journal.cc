#include "agent/ipam_journal.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json.h"

namespace weft::agent {
namespace {

bool same_attachment(const model::Endpoint& ep, std::string_view container_id, std::string_view ifname) {
  return ep.container_id == container_id && ep.ifname == ifname;
}

}  // namespace

const PendingWrite* IpamJournal::pending_add(std::string_view container_id, std::string_view ifname) const {
  for (const auto& w : queue_) {
    if (w.kind == PendingWrite::Kind::add && same_attachment(w.endpoint, container_id, ifname)) return &w;
  }
  return nullptr;
}

Result<void> IpamJournal::push(PendingWrite write) {
  queue_.push_back(std::move(write));
  return save();
}

Result<void> IpamJournal::cancel_add(std::string_view container_id, std::string_view ifname) {
  std::erase_if(queue_, [&](const PendingWrite& w) {
    return w.kind == PendingWrite::Kind::add && same_attachment(w.endpoint, container_id, ifname);
  });
  return save();
}

Result<void> IpamJournal::pop() {
  queue_.pop_front();
  return save();
}

Result<void> IpamJournal::save() const {
  if (path_.empty()) return {};
  Json out = Json::array();
  for (const auto& w : queue_) {
    out.push_back({{"op", w.kind == PendingWrite::Kind::add ? "add" : "del"},
                   {"endpoint", model::encode(w.endpoint)},
                   {"pools", w.pools}});
  }
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out.dump() << '\n';
    if (!f.flush()) return fail(Errc::io, "cannot write ", tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec) return fail(Errc::io, "cannot rename ", tmp, " to ", path_, ": ", ec.message());
  return {};
}

Result<void> IpamJournal::load() {
  queue_.clear();
  if (path_.empty()) return {};
  std::ifstream f(path_);
  if (!f) return {};  // nothing owed
  std::stringstream text;
  text << f.rdbuf();
  auto json = parse_json(text.str());
  if (!json) return fail(Errc::corrupt, path_, ": ", json.error().message);
  if (!json->is_array()) return fail(Errc::corrupt, path_, ": not a JSON array");
  for (size_t i = 0; i < json->size(); ++i) {
    const Json& item = (*json)[i];
    const std::string where = path_ + " entry " + std::to_string(i + 1);
    if (!item.is_object() || !item.contains("op") || !item.contains("endpoint") || !item["op"].is_string()) {
      return fail(Errc::corrupt, where, ": needs op and endpoint");
    }
    const std::string op = item["op"].get<std::string>();
    if (op != "add" && op != "del") return fail(Errc::corrupt, where, ": op must be add or del");
    auto ep = model::decode_endpoint(where, item["endpoint"].dump());
    if (!ep) return std::unexpected(ep.error());
    PendingWrite w{.kind = op == "add" ? PendingWrite::Kind::add : PendingWrite::Kind::del, .endpoint = std::move(*ep)};
    if (auto pools = item.find("pools"); pools != item.end() && pools->is_array()) {
      for (const auto& p : *pools) {
        if (p.is_string()) w.pools.push_back(p.get<std::string>());
      }
    }
    queue_.push_back(std::move(w));
  }
  return {};
}

}  // namespace weft::agent
