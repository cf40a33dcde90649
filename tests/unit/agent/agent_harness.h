// The agent tests' harness: an Agent on the embedded store (optionally behind a GatedStore), the
// recording FakeKernel and a FakeClock, in a temporary directory, with the loop driven by hand.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "agent/agent.h"
#include "gated_store.h"
#include "ipam/block_leases.h"
#include "ipam/pool_registry.h"
#include "kernel/fake_kernel.h"
#include "model/keys.h"
#include "parse.h"
#include "store/memory_store.h"

namespace weft::agent {

struct Harness {
  FakeClock clock;
  // The embedded store on the same clock: lease expiry happens when the test says (expire_due).
  std::unique_ptr<store::MemoryStore> store = *store::MemoryStore::open("", clock);
  // Set (gate()) before start(): the agent then writes through it and a test can hang its writes.
  std::unique_ptr<GatedStore> gated;
  kernel::FakeKernel kernel;
  std::filesystem::path dir;
  AgentConfig config;
  std::unique_ptr<Agent> agent;

  Harness() {
    char tmpl[] = "/tmp/weft-agent-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    auto eth0 = kernel.add_device({.name = "eth0", .kind = "veth", .mtu = 1500, .up = true});
    kernel.add_address_silently({eth0.index, *IpAddress::parse("198.18.1.11"), 24});
    config.node_name = "h1";
    config.interface = "eth0";
    config.state_dir = (dir / "state").string();
    config.socket_path = (dir / "weftd.sock").string();
    config.metrics_address = "none";
    config.lease_ttl_seconds = 60;
  }
  ~Harness() {
    if (gated) gated->open();  // a store call held at the gate would keep the agent from stopping
    agent.reset();
    std::filesystem::remove_all(dir);
  }
  GatedStore& gate() {
    if (!gated) gated = std::make_unique<GatedStore>(*store);
    return *gated;
  }
  void add_pool(const char* name, const char* cidr, model::Encapsulation e = model::Encapsulation::none) {
    model::Pool p;
    p.name = name;
    p.cidr = weft::testing::pfx(cidr);
    p.block_length = 24;
    p.encapsulation = e;
    ASSERT_TRUE(ipam::add_pool(*store, p));
  }
  Result<void> start() {
    store::Store& used = gated ? static_cast<store::Store&>(*gated) : *store;
    agent = std::make_unique<Agent>(config, AgentEnv{used, kernel, clock, /*kernel_route_events=*/false});
    return agent->start();
  }
  // Runs the loop until `done` holds; false if it did not within a generous bound (an event that
  // never comes fails the test instead of hanging it).
  template <class Pred>
  bool run_until(Pred done) {
    for (int i = 0; i < 2000 && !done(); ++i) agent->io().run_one_for(std::chrono::milliseconds(5));
    return done();
  }
  // Applies every store result the agent is waiting for: runs the worker's jobs to completion,
  // then their completions on the loop, until neither posts more. False if the store hangs.
  bool settle() {
    for (int i = 0; i < 100; ++i) {
      if (!agent->store_worker().drain()) return false;
      agent->io().poll();
      if (agent->store_worker().pending() == 0) return true;
    }
    return false;
  }
  bool has_route(const char* destination) const {
    for (const auto& r : kernel.routes()) {
      if (r.destination == weft::testing::pfx(destination)) return true;
    }
    return false;
  }
  // The node's block (in `pool`, when given), as the store has it.
  std::optional<model::BlockAffinity> block_of(const char* node, const char* pool = nullptr) const {
    auto listing = store->list(model::keys::blocks_prefix());
    for (const auto& kv : listing->kvs) {
      auto b = model::decode_affinity(kv.key, kv.value);
      if (b && b->node == node && (pool == nullptr || b->pool == pool)) return *b;
    }
    return std::nullopt;
  }
};

}  // namespace weft::agent
