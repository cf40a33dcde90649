// Feeds arbitrary bytes to the BGP message decoder, with 2- and 4-octet AS numbers and as an
// internal and an external peer. Besides the sanitizers' own checks it asserts the codec's
// contract (codec.h): whatever decodes re-encodes, decodes again to the same value and encodes
// again to the same bytes; every error carries the RFC 7606 action it needs (a session reset has
// a NOTIFICATION to send, a discard names its attribute). Each decoded message is also fed to an
// established FSM, which must take it without tripping an assert.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "bgp/codec.h"
#include "bgp/fsm.h"

// Not assert(): it must fire whatever NDEBUG says.
#define CHECK(cond) ((cond) ? (void)0 : check_failed(__LINE__, #cond))

[[noreturn]] static void check_failed(int line, const char* what) {
  std::fprintf(stderr, "bgp_message_fuzz.cc:%d: CHECK failed: %s\n", line, what);
  std::abort();
}

namespace {

using namespace weft::bgp;

void check_error(const DecodeError& e) {
  CHECK(!e.detail.empty());
  CHECK(e.notification.data.size() <= kMaxMessageSize);
  if (e.action == ErrorAction::session_reset) CHECK(e.notification.code != 0);
  if (e.action != ErrorAction::treat_as_withdraw) CHECK(e.withdrawn.empty());
  CHECK(!format(e).empty());
}

// Decoded-only diagnostics are not part of the value that round-trips.
Message without_diagnostics(Message m) {
  if (auto* u = std::get_if<Update>(&m)) u->discarded.clear();
  return m;
}

Fsm established(bool four_octet_as, bool ebgp) {
  FsmConfig config;
  config.local_as = 65001;
  config.router_id = 0xc6120001;
  config.peer_as = ebgp ? 65002 : 65001;
  config.four_octet_as = four_octet_as;
  FsmConfig peer = config;
  peer.local_as = config.peer_as;
  peer.peer_as = config.local_as;
  peer.router_id = 0xc6120002;
  Fsm f(config);
  f.handle(ManualStart{});
  f.handle(TcpConnectionAcknowledged{});
  f.handle(OpenReceived{build_open(peer)});
  f.handle(KeepaliveReceived{});
  CHECK(f.state == State::established);
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView bytes(data, size);
  for (bool four_octet_as : {true, false}) {
    for (bool ebgp : {false, true}) {
      const DecodeOptions options{.four_octet_as = four_octet_as, .ebgp = ebgp};
      auto decoded = decode(bytes, options);
      if (!decoded) {
        check_error(decoded.error());
      } else {
        CHECK(message_length(bytes) == size);
        CHECK(!format(*decoded).empty());
        if (const auto* u = std::get_if<Update>(&*decoded)) {
          for (const DecodeError& e : u->discarded) {
            CHECK(e.action == ErrorAction::attribute_discard);
            CHECK(e.attribute.has_value());
            check_error(e);
          }
        }
        const EncodeOptions encode_options{.four_octet_as = four_octet_as};
        auto encoded = encode(*decoded, encode_options);
        CHECK(encoded.has_value());
        CHECK(encoded->size() <= size);  // never longer than what was read
        auto again = decode(*encoded, options);
        CHECK(again.has_value());
        CHECK(without_diagnostics(*again) == without_diagnostics(*decoded));
        auto twice = encode(*again, encode_options);
        CHECK(twice.has_value() && *twice == *encoded);
      }
      Fsm fsm = established(four_octet_as, ebgp);
      for (const Action& a : fsm.handle(to_event(std::move(decoded)))) CHECK(!format(a).empty());
    }
  }
  return 0;
}
