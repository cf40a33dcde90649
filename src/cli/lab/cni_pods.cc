#include "cli/lab/cni_pods.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json.h"
#include "cli/lab/processes.h"
#include "kernel/netns.h"
#include "kernel/netns_exec.h"

namespace weft::cli::lab {
namespace fs = std::filesystem;

std::string cni_conflist_path(const LabState& state, const Host& host) {
  return state.state_dir + "/" + host.name + "/cni/weft.conflist";
}

std::optional<std::string> resolve_cni(const std::string& weftd) {
  if (const char* env = std::getenv("WEFT_CNI"); env != nullptr && *env != '\0') return std::string(env);
  if (!weftd.empty()) {
    auto candidate = (fs::path(weftd).parent_path() / ".." / "cni" / "weft-cni").lexically_normal();
    if (fs::exists(candidate)) return candidate.string();
  }
  if (auto on_path = find_program("weft-cni")) return on_path;
  if (fs::exists("/opt/cni/bin/weft-cni")) return std::string("/opt/cni/bin/weft-cni");
  return std::nullopt;
}

Result<void> write_conflist(const std::string& path, const std::string& weftd_socket) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return fail(Errc::io, "creating ", fs::path(path).parent_path().string(), ": ", ec.message());
  Json conflist = {{"cniVersion", "1.0.0"},
                   {"name", "weft-lab"},
                   {"plugins", Json::array({{{"type", "weft-cni"}, {"socket", weftd_socket}}})}};
  std::ofstream out(path, std::ios::trunc);
  out << conflist.dump(2) << '\n';
  if (!out) return fail(Errc::io, "writing ", path);
  return {};
}

Result<CniAttachment> cni_add(const std::string& plugin, const std::string& conflist, const std::string& host_netns,
                              const std::string& container_id, const std::string& pod_netns) {
  std::ifstream in(conflist);
  std::stringstream text;
  text << in.rdbuf();
  auto list = parse_json(text.str());
  if (!list) return fail(Errc::invalid_argument, conflist, ": ", list.error().message);
  // What a runtime hands the first plugin of a list: its own object plus cniVersion and name.
  Json config = (*list)["plugins"][0];
  config["cniVersion"] = (*list)["cniVersion"];
  config["name"] = (*list)["name"];
  // Run in the host namespace with the environment and stdin a runtime gives the plugin.
  auto added = kernel::run_in(host_netns, Command{.argv = {plugin},
                                                  .env = {{"CNI_COMMAND", "ADD"},
                                                          {"CNI_CONTAINERID", container_id},
                                                          {"CNI_NETNS", kernel::netns_path(pod_netns)},
                                                          {"CNI_IFNAME", "eth0"},
                                                          {"CNI_PATH", fs::path(plugin).parent_path().string()}},
                                                  .input = config.dump()});
  if (!added) return std::unexpected(added.error());
  if (added->exit_code != 0) {
    return fail(Errc::internal, "weft-cni ADD for ", container_id, " failed: ", added->out, added->err);
  }
  const std::string& output = added->out;
  auto result = parse_json(output);
  if (!result || !result->contains("ips")) return fail(Errc::internal, "weft-cni gave no result: ", output);
  CniAttachment attachment;
  for (const auto& ip : (*result)["ips"]) {
    const std::string address = ip.value("address", "");
    attachment.addresses.push_back(address.substr(0, address.find('/')));  // the lab records bare addresses
  }
  for (const auto& i : (*result)["interfaces"]) {
    if (i.value("sandbox", "").empty()) attachment.host_veth = i.value("name", "");
  }
  return attachment;
}

}  // namespace weft::cli::lab
