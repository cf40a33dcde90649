#include "ipam/consistency_report.h"

#include <algorithm>
#include <iomanip>

namespace weft::ipam::consistency {
namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

Json counts(const Report& report) {
  Json out = Json::object();
  for (Check c : kAllChecks) {
    if (needs_kernel(c) && report.kernel_nodes.empty()) out[std::string(json_name(c))] = nullptr;
    else out[std::string(json_name(c))] = report.count(c);
  }
  return out;
}

Json report_json(const Report& report, const std::vector<std::string>& errors) {
  Json findings = Json::array();
  for (const auto& f : report.findings) findings.push_back(to_json(f));
  return Json{{"kernelNodes", report.kernel_nodes}, {"counts", counts(report)}, {"findings", std::move(findings)},
              {"errors", errors}};
}

void print_report(std::ostream& out, const Report& report, const std::vector<std::string>& errors) {
  size_t width = 5;
  for (Check c : kAllChecks) width = std::max(width, title(c).size());
  out << std::left << std::setw(static_cast<int>(width) + 2) << "CHECK" << "COUNT\n";
  for (Check c : kAllChecks) {
    out << std::setw(static_cast<int>(width) + 2) << title(c);
    if (!needs_kernel(c)) {
      out << report.count(c) << '\n';
    } else if (report.kernel_nodes.empty()) {
      out << "-      no host's kernel read (--node NAME on that host, or weft lab ipam-check)\n";
    } else {
      out << std::setw(7) << report.count(c) << "kernels of " << join(report.kernel_nodes) << '\n';
    }
  }
  for (Check c : kAllChecks) {
    bool first = true;
    for (const auto& f : report.findings) {
      if (f.check != c) continue;
      if (first) out << '\n' << title(c) << ":\n";
      first = false;
      out << "  " << f.message << '\n';
    }
  }
  if (!errors.empty()) {
    out << "\nnot checked:\n";
    for (const auto& e : errors) out << "  " << e << '\n';
  }
}

std::string verdict(const Report& report, const std::vector<std::string>& errors) {
  std::string text = report.clean() ? "clean" : std::to_string(report.findings.size()) + " finding(s)";
  if (!errors.empty()) text += ", " + std::to_string(errors.size()) + " host(s) NOT checked";
  return text;
}

}  // namespace

Json to_json(const Finding& f) {
  Json out{{"check", std::string(json_name(f.check))}, {"message", f.message}};
  if (!f.node.empty()) out["node"] = f.node;
  if (f.attachment) {
    out["endpoint"] = f.attachment->to_string();
    out["containerId"] = f.attachment->container_id;
    out["ifname"] = f.attachment->ifname;
  }
  if (!f.addresses.empty()) {
    Json addresses = Json::array();
    for (const auto& a : f.addresses) addresses.push_back(a.to_string());
    out["addresses"] = std::move(addresses);
  }
  if (!f.pool.empty()) out["pool"] = f.pool;
  if (f.block) out["block"] = f.block->to_string();
  if (!f.veth.empty()) out["veth"] = f.veth;
  if (f.route) {
    out["route"] = f.route_text;
    out["destination"] = f.route->destination.to_string();
  }
  if (!f.holders.empty()) out["holders"] = f.holders;
  if (!f.key.empty()) out["key"] = f.key;
  return out;
}

Json to_json(const RunResult& result) {
  Json out = report_json(result.before, result.errors);
  if (result.after) {
    Json repairs = Json::array();
    for (const auto& r : result.repairs) {
      repairs.push_back({{"check", std::string(json_name(r.finding.check))}, {"finding", r.finding.message},
                         {"outcome", std::string(to_string(r.outcome))}, {"action", r.text}});
    }
    out["repairs"] = std::move(repairs);
    out["after"] = report_json(*result.after, result.errors_after);
  }
  out["exitCode"] = result.exit_code();
  return out;
}

void print(std::ostream& out, const RunResult& result) {
  print_report(out, result.before, result.errors);
  if (!result.after) {
    out << "\nipam check: " << verdict(result.before, result.errors) << '\n';
    return;
  }
  out << "\nrepairs:\n";
  if (result.repairs.empty()) out << "  nothing to repair\n";
  for (const auto& r : result.repairs) out << "  " << to_string(r.outcome) << ": " << r.text << '\n';
  out << "\nafter repair:\n";
  print_report(out, *result.after, result.errors_after);
  out << "\nipam check after repair: " << verdict(*result.after, result.errors_after) << '\n';
}

}  // namespace weft::ipam::consistency
