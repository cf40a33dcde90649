// Feeds arbitrary bytes to everything weft-cni and weftd decode from the other side: the IPAM
// socket's requests and responses (ipam/ipam_protocol.h), the CNI network configuration on
// stdin and a prevResult (cni/cni_config.h, cni/cni_result.h), and the CNI_* environment (one
// variable per line: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS; a missing
// line is an unset variable). The first byte picks the decoder.
// Besides the sanitizers' checks it asserts the codecs' contract: failures are the documented
// codes, and whatever decodes re-encodes to something that decodes to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "cni/cni_config.h"
#include "cni/cni_result.h"
#include "ipam/ipam_protocol.h"

#define CHECK(cond) ((cond) ? (void)0 : check_failed(__LINE__, #cond))

[[noreturn]] static void check_failed(int line, const char* what) {
  std::fprintf(stderr, "cni_codec_fuzz.cc:%d: CHECK failed: %s\n", line, what);
  std::abort();
}

namespace {

namespace proto = weft::ipam::protocol;

void request(std::string_view text) {
  auto r = proto::decode_request(text);
  if (!r) {
    CHECK(r.error().code == weft::Errc::invalid_argument);
    return;
  }
  CHECK(r->op != proto::Op::add || (proto::valid_container_id(r->container_id) && proto::valid_ifname(r->ifname)));
  auto again = proto::decode_request(proto::encode(*r));
  CHECK(again.has_value());
  CHECK(*again == *r);
}

void response(std::string_view text) {
  auto r = proto::decode_response(text);
  if (!r) {
    CHECK(r.error().code == weft::Errc::invalid_argument);
    return;
  }
  auto again = proto::decode_response(proto::encode(*r));
  CHECK(again.has_value());
  CHECK(again->ok() == r->ok());
  CHECK(again->addresses == r->addresses);
  CHECK(again->released == r->released);
}

void netconf(std::string_view text) {
  (void)weft::cni::requested_version(text);  // VERSION reads stdin with no other check
  auto conf = weft::cni::parse_netconf(text);
  if (!conf) {
    const int c = conf.error().code;
    CHECK(c == weft::cni::code::kDecodeFailure || c == weft::cni::code::kInvalidConfig ||
          c == weft::cni::code::kIncompatibleVersion);
    return;
  }
  CHECK(weft::cni::version_supported(conf->cni_version));
  if (conf->prev_result) {
    auto prev = weft::cni::decode_result(*conf->prev_result);
    if (prev) {
      auto round = weft::cni::decode_result(weft::cni::encode_result(*prev, conf->cni_version));
      CHECK(round.has_value());
      CHECK(round->ips.size() == prev->ips.size());
    }
  }
}

void environment(std::string_view text) {
  static constexpr std::string_view kNames[] = {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS"};
  auto env = weft::cni::parse_environment([text](std::string_view name) -> std::optional<std::string> {
    std::string_view rest = text;
    for (std::string_view n : kNames) {
      if (rest.data() == nullptr) return std::nullopt;  // fewer lines than variables
      const auto newline = rest.find('\n');
      const std::string_view value = rest.substr(0, newline);
      if (n == name) return std::string(value);
      rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    }
    return std::nullopt;
  });
  if (!env) {
    CHECK(env.error().code == weft::cni::code::kInvalidEnvironment);
    return;
  }
  const bool attachment = env->command == weft::cni::Command::add || env->command == weft::cni::Command::del ||
                          env->command == weft::cni::Command::check;
  if (attachment) CHECK(proto::valid_container_id(env->container_id) && proto::valid_ifname(env->ifname));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: request(text); break;
    case 1: response(text); break;
    case 2: netconf(text); break;
    default: environment(text); break;
  }
  return 0;
}
