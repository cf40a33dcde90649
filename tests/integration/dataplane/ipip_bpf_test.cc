// weft's eBPF IPIP programs (src/dataplane/bpf/ipip.bpf.c) as the kernel runs them: loaded
// through the same path weftd uses (KernelOps::bpf_load, pinned maps), map entries written with
// the C++ encoding, and packets run through BPF_PROG_TEST_RUN. Checks the exact outer header of
// an encapsulated packet, untouched traffic not for a remote block, and decapsulation only for
// this node and only from a pool or a peer node.
#include <bpf/bpf.h>
#include <linux/pkt_cls.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "dataplane/bpf/ipip_object.h"
#include "kernel/bpf_ops.h"
#include "parse.h"
#include "require.h"

namespace weft::dataplane {
namespace {

using weft::testing::ip;
using weft::testing::pfx;
using Packet = std::vector<uint8_t>;

constexpr size_t kEth = 14;

uint16_t checksum(const uint8_t* header, size_t length) {
  uint32_t sum = 0;
  for (size_t i = 0; i < length; i += 2) sum += static_cast<uint32_t>(header[i] << 8 | header[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void put_address(Packet& p, size_t at, const IpAddress& a) { std::copy_n(a.bytes().begin(), 4, p.begin() + static_cast<long>(at)); }

// An IPv4 header (with a correct checksum) carrying `payload` bytes of protocol `protocol`.
Packet ipv4(const char* source, const char* destination, uint8_t protocol, size_t payload, uint8_t tos = 0, bool df = true) {
  Packet p(20 + payload, 0);
  p[0] = 0x45;
  p[1] = tos;
  p[2] = static_cast<uint8_t>((20 + payload) >> 8);
  p[3] = static_cast<uint8_t>(20 + payload);
  p[6] = df ? 0x40 : 0;
  p[8] = 63;
  p[9] = protocol;
  put_address(p, 12, ip(source));
  put_address(p, 16, ip(destination));
  const uint16_t sum = checksum(p.data(), 20);
  p[10] = static_cast<uint8_t>(sum >> 8);
  p[11] = static_cast<uint8_t>(sum);
  for (size_t i = 20; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i);
  return p;
}

Packet ethernet(const Packet& l3) {
  Packet p{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};
  p.insert(p.end(), l3.begin(), l3.end());
  return p;
}

// An IPIP packet: outer header from `outer_source` to `outer_destination` around `inner`.
Packet encapsulated(const char* outer_source, const char* outer_destination, const Packet& inner) {
  Packet outer = ipv4(outer_source, outer_destination, 4, 0);
  const size_t total = 20 + inner.size();
  outer[2] = static_cast<uint8_t>(total >> 8);
  outer[3] = static_cast<uint8_t>(total);
  outer[10] = outer[11] = 0;
  const uint16_t sum = checksum(outer.data(), 20);
  outer[10] = static_cast<uint8_t>(sum >> 8);
  outer[11] = static_cast<uint8_t>(sum);
  outer.insert(outer.end(), inner.begin(), inner.end());
  return outer;
}

struct Outcome {
  int verdict = -1;
  Packet out;
};

class IpipBpfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WEFT_REQUIRE(geteuid() == 0, "loading BPF programs needs root");
    if (IsSkipped()) return;
    pins_ = "/sys/fs/bpf/weft-t-" + std::to_string(getpid());
    auto loaded = kernel::load_bpf_object(ipip_object(pins_));
    ASSERT_TRUE(loaded) << loaded.error().describe();
    loaded_ = *loaded;
  }
  void TearDown() override {
    if (!pins_.empty()) std::filesystem::remove_all(pins_);
  }

  void put(std::string_view map, const kernel::BpfMapEntry& entry) {
    auto r = kernel::bpf_map_write(kernel::bpf_map_pin(pins_, map), entry);
    ASSERT_TRUE(r) << r.error().describe();
  }

  Outcome run(std::string_view program, const Packet& in) {
    Outcome result;
    const int fd = bpf_obj_get(kernel::bpf_program_pin(pins_, program).c_str());
    EXPECT_GE(fd, 0);
    if (fd < 0) return result;
    result.out.resize(in.size() + 256);
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = in.data();
    opts.data_size_in = static_cast<uint32_t>(in.size());
    opts.data_out = result.out.data();
    opts.data_size_out = static_cast<uint32_t>(result.out.size());
    opts.repeat = 1;
    const int r = bpf_prog_test_run_opts(fd, &opts);
    close(fd);
    EXPECT_EQ(r, 0) << "BPF_PROG_TEST_RUN failed: errno " << errno;
    result.out.resize(opts.data_size_out);
    result.verdict = static_cast<int>(opts.retval);
    return result;
  }

  std::string pins_;
  kernel::BpfLoaded loaded_;
};

TEST_F(IpipBpfTest, EgressEncapsulatesForARemoteBlockWithTheExactOuterHeader) {
  put(kIpipTunnelMap, encode(IpipTunnel{pfx("198.19.3.0/24"), ip("198.18.2.13"), ip("198.18.1.11")}));
  const Packet inner = ipv4("198.19.1.11", "198.19.3.20", 17, 64, /*tos=*/0x10, /*df=*/true);
  const Packet in = ethernet(inner);
  const Outcome r = run(kIpipEgressProgram, in);
  ASSERT_EQ(r.verdict, TC_ACT_OK);
  ASSERT_EQ(r.out.size(), in.size() + 20);
  EXPECT_TRUE(std::equal(in.begin(), in.begin() + kEth, r.out.begin())) << "the Ethernet header stays";
  const uint8_t* outer = r.out.data() + kEth;
  EXPECT_EQ(outer[0], 0x45) << "IPv4, no options";
  EXPECT_EQ(outer[1], 0x10) << "the inner TOS";
  EXPECT_EQ(outer[2] << 8 | outer[3], static_cast<int>(inner.size() + 20)) << "total length";
  EXPECT_EQ(outer[6], 0x40) << "the inner DF bit";
  EXPECT_EQ(outer[7], 0);
  EXPECT_EQ(outer[8], 64) << "TTL";
  EXPECT_EQ(outer[9], 4) << "protocol IPIP";
  EXPECT_EQ(IpAddress::v4(uint32_t(outer[12]) << 24 | outer[13] << 16 | outer[14] << 8 | outer[15]), ip("198.18.1.11"));
  EXPECT_EQ(IpAddress::v4(uint32_t(outer[16]) << 24 | outer[17] << 16 | outer[18] << 8 | outer[19]), ip("198.18.2.13"));
  EXPECT_EQ(checksum(outer, 20), 0) << "the header checksum verifies";
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), r.out.begin() + kEth + 20)) << "the inner packet is untouched";
}

TEST_F(IpipBpfTest, EgressPassesTrafficNotForARemoteBlockUntouched) {
  put(kIpipTunnelMap, encode(IpipTunnel{pfx("198.19.3.0/24"), ip("198.18.2.13"), ip("198.18.1.11")}));
  for (const char* destination : {"198.19.4.1", "198.18.2.13", "8.8.8.8"}) {
    const Packet in = ethernet(ipv4("198.19.1.11", destination, 6, 40));
    const Outcome r = run(kIpipEgressProgram, in);
    EXPECT_EQ(r.verdict, TC_ACT_OK) << destination;
    EXPECT_EQ(r.out, in) << destination;
  }
}

TEST_F(IpipBpfTest, IngressDecapsulatesOnlyForThisNodeAndOnlyFromAPoolOrAPeer) {
  put(kIpipNodeMap, encode(IpipNode{ip("198.18.1.11"), true}));
  put(kIpipNodeMap, encode(IpipNode{ip("198.18.2.13"), false}));
  put(kIpipPoolMap, encode_pool(pfx("198.19.0.0/16")));
  const Packet pod = ipv4("198.19.3.20", "198.19.1.11", 17, 32);

  // From a peer, pod source: decapsulated to exactly the Ethernet header + the inner packet.
  Outcome r = run(kIpipIngressProgram, ethernet(encapsulated("198.18.2.13", "198.18.1.11", pod)));
  EXPECT_EQ(r.verdict, TC_ACT_OK);
  EXPECT_EQ(r.out, ethernet(pod));

  // From an unknown host but with a pool source (pod-to-pod): decapsulated.
  r = run(kIpipIngressProgram, ethernet(encapsulated("198.18.7.7", "198.18.1.11", pod)));
  EXPECT_EQ(r.out, ethernet(pod));

  // A peer node's own traffic (host to pod, inner source = its underlay): decapsulated.
  const Packet host = ipv4("198.18.2.13", "198.19.1.11", 1, 16);
  r = run(kIpipIngressProgram, ethernet(encapsulated("198.18.2.13", "198.18.1.11", host)));
  EXPECT_EQ(r.out, ethernet(host));

  // Neither a pool source nor a peer: dropped.
  const Packet stranger = ipv4("10.1.2.3", "198.19.1.11", 17, 32);
  r = run(kIpipIngressProgram, ethernet(encapsulated("198.18.7.7", "198.18.1.11", stranger)));
  EXPECT_EQ(r.verdict, TC_ACT_SHOT);

  // Addressed to another node: not ours, passes untouched.
  const Packet other = ethernet(encapsulated("198.18.2.13", "198.18.1.12", pod));
  r = run(kIpipIngressProgram, other);
  EXPECT_EQ(r.verdict, TC_ACT_OK);
  EXPECT_EQ(r.out, other);

  // Not IPIP: untouched.
  const Packet plain = ethernet(pod);
  r = run(kIpipIngressProgram, plain);
  EXPECT_EQ(r.out, plain);
}

TEST_F(IpipBpfTest, AReloadKeepsPinnedMapEntriesAndTheProgramPins) {
  put(kIpipTunnelMap, encode(IpipTunnel{pfx("198.19.3.0/24"), ip("198.18.2.13"), ip("198.18.1.11")}));
  auto again = kernel::load_bpf_object(ipip_object(pins_));  // what a restarted weftd does
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(again->tags, loaded_.tags) << "the same instructions give the same tags";
  auto entries = kernel::bpf_map_read(kernel::bpf_map_pin(pins_, kIpipTunnelMap));
  ASSERT_TRUE(entries) << entries.error().describe();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(*decode_tunnel(entries->front()), (IpipTunnel{pfx("198.19.3.0/24"), ip("198.18.2.13"), ip("198.18.1.11")}));
}

}  // namespace
}  // namespace weft::dataplane
