#include "cli/lab/cni_pods.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json.h"
#include "cli/lab/processes.h"

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
  const std::string stdin_path = fs::path(conflist).parent_path() / (container_id + ".add.json");
  {
    std::ofstream out(stdin_path, std::ios::trunc);
    out << config.dump();
  }
  auto output = run_in_netns(host_netns, [&]() -> Result<std::string> {
    // In a forked child inside the host namespace: the environment is the plugin's.
    ::setenv("CNI_COMMAND", "ADD", 1);
    ::setenv("CNI_CONTAINERID", container_id.c_str(), 1);
    ::setenv("CNI_NETNS", ("/run/netns/" + pod_netns).c_str(), 1);
    ::setenv("CNI_IFNAME", "eth0", 1);
    ::setenv("CNI_PATH", fs::path(plugin).parent_path().c_str(), 1);
    FILE* pipe = ::popen(("'" + plugin + "' < '" + stdin_path + "'").c_str(), "r");
    if (pipe == nullptr) return fail(Errc::io, "cannot run ", plugin);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    const int status = ::pclose(pipe);
    if (status != 0) return fail(Errc::internal, "weft-cni ADD for ", container_id, " failed: ", out);
    return out;
  });
  fs::remove(stdin_path);
  if (!output) return std::unexpected(output.error());
  auto result = parse_json(*output);
  if (!result || !result->contains("ips")) return fail(Errc::internal, "weft-cni gave no result: ", *output);
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
