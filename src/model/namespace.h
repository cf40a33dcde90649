// Namespace: a group of workloads that policies can select by the namespace's labels (issue 11),
// as Kubernetes namespaces are.
//
//   /weft/v1/namespaces/<name>   {"name": "x", "labels": {"team": "a"}}   (no lease)
//
// Every namespace carries the implicit label kubernetes.io/metadata.name=<name>, as Kubernetes
// adds it: decode_namespace adds it when reading, encode leaves it out, so the store never holds
// a copy that could disagree with the name. An endpoint whose namespace has no record is still in
// that namespace, which then has only the implicit label (namespace_labels).
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"
#include "model/labels.h"

namespace weft::model {

inline constexpr std::string_view kNamespaceNameLabel = "kubernetes.io/metadata.name";
inline constexpr std::string_view kDefaultNamespace = "default";

struct Namespace {
  std::string name;
  Labels labels;  // after decode_namespace: with the implicit label
  friend bool operator==(const Namespace&, const Namespace&) = default;
};

// A DNS label, as Kubernetes names namespaces: 1-63 of lower-case alphanumerics and '-',
// alphanumeric at both ends.
bool valid_namespace_name(std::string_view name);

// `labels` plus the implicit label of the namespace `name`.
Labels namespace_labels(std::string_view name, Labels labels = {});

Json encode(const Namespace& ns);
Result<Namespace> decode_namespace(std::string_view json_text);

}  // namespace weft::model
