// weft block list|reserve|release
#include <ctime>
#include <iostream>

#include "cli/context.h"
#include "cli/table.h"
#include "ipam/block_leases.h"

namespace weft::cli {
namespace {

std::string format_time(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int list(Context& ctx) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto blocks = ipam::list_blocks(**store);
  if (!blocks) return report(blocks.error());
  warn_skipped(blocks->skipped);
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& b : blocks->items) {
      Json j = encode(b.affinity);
      j["lease"] = b.lease;
      if (b.expires_at_unix) j["expiresAt"] = *b.expires_at_unix;
      out.push_back(j);
    }
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  Table table({"POOL", "BLOCK", "NODE", "KIND", "EXPIRES"});
  for (const auto& b : blocks->items) {
    std::string expires = b.affinity.reserved      ? "never"
                          : b.expires_at_unix      ? format_time(*b.expires_at_unix)
                                                   : "unknown";
    table.add({b.affinity.pool, b.affinity.block.to_string(), b.affinity.node,
               b.affinity.reserved ? "reserved" : "leased", expires});
  }
  table.print(std::cout);
  return exit_ok;
}

struct BlockArgs {
  std::string pool;
  std::string block;
  std::string node;
};

int reserve(Context& ctx, const BlockArgs& args, bool release) {
  auto block = Prefix::parse(args.block);
  if (!block) return report(Error{Errc::invalid_argument, "--block: " + block.error().message});
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto r = release ? ipam::release_block(**store, args.pool, *block, args.node)
                   : ipam::reserve_block(**store, args.pool, *block, args.node);
  if (!r) return report(r.error());
  if (!ctx.json()) {
    std::cout << "block " << block->to_string() << (release ? " released" : " reserved for " + args.node) << '\n';
  }
  return exit_ok;
}

}  // namespace

void add_block_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* block = app.add_subcommand("block", "address blocks and their leases");
  block->require_subcommand(1);
  block->add_subcommand("list", "list held blocks with holder and expiry")
      ->callback([&ctx, &exit_code] { exit_code = list(ctx); });

  for (bool release : {false, true}) {
    auto args = std::make_shared<BlockArgs>();
    auto* cmd = block->add_subcommand(release ? "release" : "reserve",
                                      release ? "release a block held by a node"
                                              : "pin a block to a node, with no expiry");
    cmd->add_option("--pool", args->pool, "pool name")->required();
    cmd->add_option("--block", args->block, "the block's CIDR")->required();
    cmd->add_option("--node", args->node, "node name")->required();
    cmd->callback([&ctx, &exit_code, args, release] { exit_code = reserve(ctx, *args, release); });
  }
}

}  // namespace weft::cli
