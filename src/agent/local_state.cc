#include "agent/local_state.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "base/json.h"

namespace weft::agent {
namespace {

std::string file_of(const std::string& dir) { return dir + "/node-state.json"; }

kernel::MacAddress random_mac() {
  std::random_device rd;
  std::string text = "02";  // locally administered, unicast
  char buf[4];
  for (int i = 0; i < 5; ++i) {
    std::snprintf(buf, sizeof buf, ":%02x", static_cast<unsigned>(rd() & 0xff));
    text += buf;
  }
  return *kernel::MacAddress::parse(text);
}

}  // namespace

Result<LocalState> load_local_state(const std::string& dir) {
  const std::string path = file_of(dir);
  std::ifstream in(path);
  if (!in) return LocalState{random_mac(), {}};
  std::stringstream text;
  text << in.rdbuf();
  auto j = parse_json(text.str());
  if (!j) return fail(Errc::corrupt, path, ": ", j.error().message);
  auto mac_text = json_string(*j, "vtepMac");
  if (!mac_text) return fail(Errc::corrupt, path, ": ", mac_text.error().message);
  auto mac = kernel::MacAddress::parse(*mac_text);
  if (!mac) return fail(Errc::corrupt, path, ": ", mac.error().message);
  LocalState state{*mac, {}};
  if (auto it = j->find("blocks"); it != j->end() && it->is_object()) {
    for (const auto& [pool, block] : it->items()) {
      if (!block.is_string()) continue;
      if (auto p = Prefix::parse(block.get<std::string>())) state.blocks[pool] = *p;
    }
  }
  return state;
}

Result<void> save_local_state(const std::string& dir, const LocalState& state) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::io, "creating ", dir, ": ", ec.message());
  Json blocks = Json::object();
  for (const auto& [pool, block] : state.blocks) blocks[pool] = block.to_string();
  const std::string path = file_of(dir);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << Json{{"vtepMac", state.vtep_mac.to_string()}, {"blocks", blocks}}.dump(2) << '\n';
    if (!out) return fail(Errc::io, "writing ", tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(Errc::io, "renaming ", tmp, ": ", ec.message());
  return {};
}

}  // namespace weft::agent
