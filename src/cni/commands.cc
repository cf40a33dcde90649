#include "cni/commands.h"

#include <algorithm>
#include <set>

#include "cni/cni_result.h"
#include "cni/container_net.h"
#include "cni/ipam_client.h"
#include "kernel/netlink_kernel.h"

namespace weft::cni {
namespace {

namespace proto = ipam::protocol;

std::unexpected<CniError> cni_error(int code, std::string msg, std::string details = {}) {
  return std::unexpected(CniError{code, std::move(msg), std::move(details)});
}

// weftd's error codes in CNI terms: a store that cannot be reached is worth retrying.
CniError from_weftd(const Error& e, std::string_view doing) {
  const int c = e.code == Errc::unavailable        ? code::kTryAgainLater
                : e.code == Errc::invalid_argument ? code::kInvalidConfig
                                                   : code::kOther;
  return CniError{c, std::string(doing) + ": " + e.message, std::string(to_string(e.code))};
}

CniResult<proto::Response> ask(const NetConf& conf, const proto::Request& request, std::string_view doing) {
  auto response = call_weftd(conf.socket, request, std::chrono::seconds(conf.timeout_seconds));
  if (!response) {
    const int c = response.error().code == Errc::unavailable ? code::kTryAgainLater : code::kOther;
    return cni_error(c, std::string(doing) + ": " + response.error().message);
  }
  if (!response->ok()) return std::unexpected(from_weftd(*response->error, doing));
  return std::move(*response);
}

proto::Request attachment_request(proto::Op op, const Environment& env, const NetConf& conf) {
  proto::Request r{.op = op, .container_id = env.container_id, .ifname = env.ifname};
  r.netns = env.netns;
  r.network = conf.name;
  r.pod_namespace = env.pod_namespace;
  r.pod_name = env.pod_name;
  r.labels = conf.labels;
  r.ports = conf.ports;
  r.pools = conf.pools;
  return r;
}

Workload workload_of(const Environment& env, const std::vector<IpAddress>& addresses, uint32_t mtu) {
  return Workload{env.netns, env.ifname, proto::host_veth_name(env.container_id, env.ifname), addresses, mtu};
}

CniResult<kernel::NetnsFd> container_netns(const Environment& env) {
  auto fd = open_container_netns(env.netns);
  if (!fd) return cni_error(code::kInvalidEnvironment, "CNI_NETNS: " + fd.error().message);
  return std::move(*fd);
}

// The kernel in the host namespace (weft-cni runs there) and in the container's.
CniResult<std::unique_ptr<kernel::KernelOps>> host_kernel() {
  auto k = kernel::open_netlink_kernel();
  if (!k) return cni_error(code::kOther, "opening netlink: " + k.error().message);
  return std::move(*k);
}

CniResult<std::unique_ptr<kernel::KernelOps>> container_kernel(const kernel::NetnsFd& netns) {
  auto k = kernel::open_netlink_kernel(netns);
  if (!k) return cni_error(code::kOther, "opening netlink in CNI_NETNS: " + k.error().message);
  return std::move(*k);
}

CniResult<std::string> cmd_add(const Environment& env, const NetConf& conf) {
  auto netns = container_netns(env);
  if (!netns) return std::unexpected(netns.error());
  auto host = host_kernel();
  if (!host) return std::unexpected(host.error());
  auto container = container_kernel(*netns);
  if (!container) return std::unexpected(container.error());
  auto response = ask(conf, attachment_request(proto::Op::add, env, conf), "allocating addresses");
  if (!response) return std::unexpected(response.error());
  if (response->addresses.empty()) return cni_error(code::kOther, "weftd assigned no address");
  std::vector<IpAddress> addresses;
  for (const auto& a : response->addresses) addresses.push_back(a.address);
  const uint32_t mtu = conf.mtu != 0 ? conf.mtu : response->mtu != 0 ? response->mtu : 1500;
  const Workload w = workload_of(env, addresses, mtu);
  auto wired = wire(w, *netns, **host, **container);
  if (!wired) {
    (void)ask(conf, attachment_request(proto::Op::del, env, conf), "releasing addresses");
    return cni_error(code::kOther, "wiring the container: " + wired.error().message);
  }
  CniOutput out;
  out.interfaces.push_back({w.host_veth, wired->host_mac, "", mtu});
  out.interfaces.push_back({env.ifname, wired->container_mac, env.netns, mtu});
  for (const auto& a : addresses) {
    const auto gw = *IpAddress::parse(a.is_v4() ? kGatewayV4 : kGatewayV6);
    out.ips.push_back({a, a.bit_width(), gw, 1});
    out.routes.push_back({Prefix(gw, 0), gw});
  }
  return dump_json(encode_result(out, conf.cni_version));
}

CniResult<std::string> cmd_del(const Environment& env, const NetConf& conf) {
  auto host = host_kernel();
  if (!host) return std::unexpected(host.error());
  if (auto r = unwire(**host, proto::host_veth_name(env.container_id, env.ifname)); !r) {
    return cni_error(code::kOther, "removing the veth: " + r.error().message);
  }
  auto response = ask(conf, attachment_request(proto::Op::del, env, conf), "releasing addresses");
  if (!response) return std::unexpected(response.error());
  return std::string();
}

CniResult<std::string> cmd_check(const Environment& env, const NetConf& conf) {
  if (!conf.prev_result) return cni_error(code::kInvalidConfig, "CHECK needs prevResult");
  auto prev = decode_result(*conf.prev_result);
  if (!prev) return cni_error(code::kInvalidConfig, "prevResult: " + prev.error().message);
  auto response = ask(conf, attachment_request(proto::Op::check, env, conf), "checking the allocation");
  if (!response) return std::unexpected(response.error());
  std::set<IpAddress> expected, assigned;
  for (const auto& ip : prev->ips) {
    // Our own addresses: those on the container interface we created (chained plugins may add
    // others on other interfaces).
    const bool ours = ip.interface >= 0 && static_cast<size_t>(ip.interface) < prev->interfaces.size() &&
                      prev->interfaces[ip.interface].name == env.ifname && !prev->interfaces[ip.interface].sandbox.empty();
    if (ours) expected.insert(ip.address);
  }
  for (const auto& a : response->addresses) assigned.insert(a.address);
  if (expected != assigned) return cni_error(code::kOther, "prevResult's addresses differ from weftd's allocation");
  auto netns = container_netns(env);
  if (!netns) return std::unexpected(netns.error());
  const std::vector<IpAddress> addresses(assigned.begin(), assigned.end());
  auto host = host_kernel();
  if (!host) return std::unexpected(host.error());
  auto container = container_kernel(*netns);
  if (!container) return std::unexpected(container.error());
  if (auto r = check(workload_of(env, addresses, 0), **host, **container); !r) return cni_error(code::kOther, r.error().message);
  return std::string();
}

CniResult<std::string> cmd_gc(const NetConf& conf) {
  proto::Request r{.op = proto::Op::gc};
  r.valid_attachments = conf.valid_attachments;
  r.grace_seconds = conf.gc_grace_seconds;
  auto response = ask(conf, r, "collecting garbage");
  if (!response) return std::unexpected(response.error());
  auto host = host_kernel();
  if (!host) return std::unexpected(host.error());
  for (const auto& a : response->released) (void)unwire(**host, proto::host_veth_name(a.container_id, a.ifname));
  return std::string();
}

CniResult<std::string> cmd_status(const NetConf& conf) {
  auto response = call_weftd(conf.socket, proto::Request{.op = proto::Op::status}, std::chrono::seconds(conf.timeout_seconds));
  if (!response) return cni_error(code::kPluginUnavailable, "weftd is not reachable", response.error().message);
  if (!response->ok()) return cni_error(code::kPluginUnavailable, "weftd: " + response->error->message);
  if (!response->ready) return cni_error(code::kPluginUnavailable, "weftd is not ready: " + response->detail);
  return std::string();
}

Outcome failure(const CniError& e, std::string_view version) {
  return Outcome{1, dump_json(encode_error(e, version)) + "\n"};
}

}  // namespace

Outcome run_plugin(const Getenv& getenv, std::string_view stdin_text) {
  const std::string requested = requested_version(stdin_text);
  const std::string reply_version = version_supported(requested) ? requested : "1.0.0";
  auto env = parse_environment(getenv);
  if (!env) return failure(env.error(), reply_version);
  if (env->command == Command::version) return Outcome{0, dump_json(encode_version_info(requested)) + "\n"};
  auto conf = parse_netconf(stdin_text);
  if (!conf) return failure(conf.error(), reply_version);

  CniResult<std::string> out;
  switch (env->command) {
    case Command::add: out = cmd_add(*env, *conf); break;
    case Command::del: out = cmd_del(*env, *conf); break;
    case Command::check: out = cmd_check(*env, *conf); break;
    case Command::gc: out = cmd_gc(*conf); break;
    case Command::status: out = cmd_status(*conf); break;
    case Command::version: break;
  }
  if (!out) return failure(out.error(), conf->cni_version);
  return Outcome{0, out->empty() ? std::string() : *out + "\n"};
}

}  // namespace weft::cni
