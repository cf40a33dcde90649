// weft lab pod add|delete: one more pod on a host of a running lab, made through weft-cni exactly
// as `weft lab up` makes its pods (cni_pods.h), with the namespace, labels and named ports a
// runtime would pass (CNI_ARGS K8S_POD_NAMESPACE/K8S_POD_NAME, args.cni.labels/ports).
//
// Naming: a pod is NAME in the namespace "default" and NAMESPACE/NAME elsewhere; its network
// namespace and container id are weft-lab-NAME and NAME, or weft-lab-NAME.NAMESPACE and
// NAME.NAMESPACE (NAME and NAMESPACE are DNS labels, so no two pods share one). The state is
// saved with the namespace before it is created, so `weft lab down` removes it whatever happens.
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "cli/lab/cni_pods.h"
#include "cli/lab/commands.h"
#include "cli/lab/underlay.h"
#include "kernel/netns.h"
#include "model/namespace.h"

namespace weft::cli::lab {
namespace {

Result<PodIdentity> identity_of(const PodAddOptions& o) {
  if (!model::valid_dns_label(o.name)) {
    return fail(Errc::invalid_argument, "pod name '", o.name, "' is not a DNS label (a-z, 0-9, '-', at most 63)");
  }
  if (!model::valid_namespace_name(o.pod_namespace)) {
    return fail(Errc::invalid_argument, "namespace '", o.pod_namespace, "' is not a DNS label");
  }
  auto labels = model::parse_label_assignments(o.labels);
  if (!labels) return std::unexpected(labels.error());
  PodIdentity id{o.pod_namespace, o.name, std::move(*labels), {}};
  for (const auto& text : o.ports) {
    auto port = model::parse_named_port(text);
    if (!port) return std::unexpected(port.error());
    id.ports.push_back(*port);
  }
  if (auto r = model::validate_ports(id.ports); !r) return std::unexpected(r.error());
  return id;
}

Result<std::string> plugin_of(const LabState& state) {
  if (!state.agents) return fail(Errc::invalid_argument, "this lab runs no weftd (--no-agent): pods need weft-cni and weftd");
  auto plugin = resolve_cni(state.weftd);
  if (!plugin) return fail(Errc::not_found, "weft-cni not found (set $WEFT_CNI)");
  return *plugin;
}

Result<PodRecord> add(LabState& state, const PodAddOptions& o) {
  auto identity = identity_of(o);
  if (!identity) return std::unexpected(identity.error());
  const Host* host = state.host(o.host);
  if (host == nullptr) return fail(Errc::not_found, "the lab has no host ", o.host);
  auto plugin = plugin_of(state);
  if (!plugin) return std::unexpected(plugin.error());
  const bool in_default = o.pod_namespace == model::kDefaultNamespace;
  const std::string id = in_default ? o.name : o.name + "." + o.pod_namespace;
  PodRecord pod{.name = in_default ? o.name : o.pod_namespace + "/" + o.name, .netns = netns_for(id), .host = host->name};
  pod.pod_namespace = o.pod_namespace;
  pod.container_id = id;
  for (const auto& p : state.pods) {
    if (p.name == pod.name) return fail(Errc::already_exists, "pod ", pod.name, " already exists (on ", p.host, ")");
  }
  if (std::find(state.namespaces.begin(), state.namespaces.end(), pod.netns) != state.namespaces.end() ||
      kernel::netns_exists(pod.netns)) {
    return fail(Errc::already_exists, "namespace ", pod.netns, " is taken; choose another pod name");
  }

  state.namespaces.push_back(pod.netns);
  if (auto r = save_state(state); !r) return std::unexpected(r.error());
  auto undo = [&](const Error& e) -> Result<PodRecord> {
    (void)delete_netns(pod.netns);
    std::erase(state.namespaces, pod.netns);
    (void)save_state(state);
    return std::unexpected(e);
  };
  if (auto r = create_netns(pod.netns); !r) return undo(r.error());
  if (auto r = configure_pod_netns(pod.netns); !r) return undo(r.error());
  auto attachment = cni_add(*plugin, cni_conflist_path(state, *host), host->netns, id, pod.netns, *identity);
  if (!attachment) return undo(attachment.error());
  pod.host_veth = attachment->host_veth;
  pod.addresses = attachment->addresses;
  state.pods.push_back(pod);
  if (auto r = save_state(state); !r) return std::unexpected(r.error());
  return pod;
}

Result<void> remove(LabState& state, const std::string& name) {
  auto it = std::find_if(state.pods.begin(), state.pods.end(), [&](const PodRecord& p) { return p.name == name; });
  if (it == state.pods.end()) return fail(Errc::not_found, "the lab has no pod ", name, " (see `weft lab status`)");
  const Host* host = state.host(it->host);
  if (host == nullptr) return fail(Errc::corrupt, "pod ", name, " is on unknown host ", it->host);
  if (state.agents) {
    auto plugin = plugin_of(state);
    if (!plugin) return std::unexpected(plugin.error());
    const std::string id = it->container_id.empty() ? it->name : it->container_id;
    if (auto r = cni_del(*plugin, cni_conflist_path(state, *host), host->netns, id, it->netns); !r) return r;
  }
  if (auto r = delete_netns(it->netns); !r && r.error().code != Errc::not_found) return r;
  std::erase(state.namespaces, it->netns);
  state.pods.erase(it);
  return save_state(state);
}

}  // namespace

int pod_add(const std::string& state_dir, const PodAddOptions& options, Context& ctx) {
  if (::geteuid() != 0) return report(Error{Errc::invalid_argument, "weft lab needs root (network namespaces)"});
  auto state = load_existing_lab(state_dir);
  if (!state) return report(state.error());
  auto pod = add(*state, options);
  if (!pod) return report(pod.error());
  if (ctx.json()) {
    std::cout << Json{{"name", pod->name}, {"namespace", pod->pod_namespace}, {"host", pod->host}, {"netns", pod->netns},
                      {"containerId", pod->container_id}, {"hostVeth", pod->host_veth}, {"addresses", pod->addresses}}
                     .dump(2)
              << '\n';
  } else {
    std::string addresses;
    for (const auto& a : pod->addresses) addresses += (addresses.empty() ? "" : ", ") + a;
    std::cout << "pod " << pod->name << " on " << pod->host << ": " << addresses << " (netns " << pod->netns << ")\n";
  }
  return exit_ok;
}

int pod_delete(const std::string& state_dir, const std::string& name, Context& ctx) {
  if (::geteuid() != 0) return report(Error{Errc::invalid_argument, "weft lab needs root (network namespaces)"});
  auto state = load_existing_lab(state_dir);
  if (!state) return report(state.error());
  if (auto r = remove(*state, name); !r) return report(r.error());
  if (!ctx.json()) std::cout << "pod " << name << " deleted\n";
  return exit_ok;
}

}  // namespace weft::cli::lab
