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

namespace {

// What a runtime hands the first plugin of a list: its own object plus cniVersion and name.
Result<Json> plugin_config(const std::string& conflist) {
  std::ifstream in(conflist);
  std::stringstream text;
  text << in.rdbuf();
  auto list = parse_json(text.str());
  if (!list) return fail(Errc::invalid_argument, conflist, ": ", list.error().message);
  if (!list->contains("plugins") || !(*list)["plugins"].is_array() || (*list)["plugins"].empty()) {
    return fail(Errc::invalid_argument, conflist, ": no plugins");
  }
  Json config = (*list)["plugins"][0];
  config["cniVersion"] = (*list)["cniVersion"];
  config["name"] = (*list)["name"];
  return config;
}

// Runs the plugin in the host namespace with the environment and stdin a runtime gives it.
Result<CommandResult> run_plugin(const std::string& plugin, const std::string& command, const std::string& host_netns,
                                 const std::string& container_id, const std::string& pod_netns, const std::string& args,
                                 const Json& config) {
  return kernel::run_in(host_netns, Command{.argv = {plugin},
                                            .env = {{"CNI_COMMAND", command},
                                                    {"CNI_CONTAINERID", container_id},
                                                    {"CNI_NETNS", kernel::netns_path(pod_netns)},
                                                    {"CNI_IFNAME", "eth0"},
                                                    {"CNI_ARGS", args},
                                                    {"CNI_PATH", fs::path(plugin).parent_path().string()}},
                                            .input = config.dump()});
}

}  // namespace

Result<CniAttachment> cni_add(const std::string& plugin, const std::string& conflist, const std::string& host_netns,
                              const std::string& container_id, const std::string& pod_netns, const PodIdentity& identity) {
  auto config = plugin_config(conflist);
  if (!config) return std::unexpected(config.error());
  Json labels = Json::array();
  for (const auto& [k, v] : identity.labels) labels.push_back({{"key", k}, {"value", v}});
  (*config)["args"] = {{"cni", {{"labels", labels}, {"ports", model::encode_ports(identity.ports)}}}};
  std::string args = "K8S_POD_NAMESPACE=" + identity.pod_namespace;
  if (!identity.pod_name.empty()) args += ";K8S_POD_NAME=" + identity.pod_name;
  auto added = run_plugin(plugin, "ADD", host_netns, container_id, pod_netns, args, *config);
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

namespace weft::cli::lab {

Result<void> cni_del(const std::string& plugin, const std::string& conflist, const std::string& host_netns,
                     const std::string& container_id, const std::string& pod_netns) {
  auto config = plugin_config(conflist);
  if (!config) return std::unexpected(config.error());
  auto deleted = run_plugin(plugin, "DEL", host_netns, container_id, pod_netns, "", *config);
  if (!deleted) return std::unexpected(deleted.error());
  if (deleted->exit_code != 0) return fail(Errc::internal, "weft-cni DEL for ", container_id, " failed: ", deleted->out, deleted->err);
  return {};
}

}  // namespace weft::cli::lab
