// weft pool add|list|delete
#include <iostream>

#include "cli/context.h"
#include "cli/table.h"
#include "ipam/pool_registry.h"

namespace weft::cli {
namespace {

struct PoolArgs {
  std::string name;
  std::string cidr;
  int block_size = 0;  // 0: the family's default
  std::string encapsulation = "none";
  std::string encapsulate = "always";
  std::string routes = "store";
  bool nat_outgoing = false;
};

Result<model::Pool> to_pool(const PoolArgs& args) {
  auto cidr = Prefix::parse(args.cidr);
  if (!cidr) return fail(Errc::invalid_argument, "--cidr: ", cidr.error().message);
  auto encapsulation = model::parse_encapsulation(args.encapsulation);
  if (!encapsulation) return std::unexpected(encapsulation.error());
  auto encapsulate = model::parse_encapsulate(args.encapsulate);
  if (!encapsulate) return std::unexpected(encapsulate.error());
  auto routes = model::parse_route_source(args.routes);
  if (!routes) return std::unexpected(routes.error());
  model::Pool pool;
  pool.name = args.name;
  pool.cidr = *cidr;
  pool.block_length = args.block_size != 0 ? args.block_size
                      : cidr->family() == Family::v4 ? model::Pool::default_v4_block_length
                                                     : model::Pool::default_v6_block_length;
  pool.encapsulation = *encapsulation;
  pool.encapsulate = *encapsulate;
  pool.routes = *routes;
  pool.nat_outgoing = args.nat_outgoing;
  return pool;
}

int add(Context& ctx, const PoolArgs& args) {
  auto pool = to_pool(args);
  if (!pool) return report(pool.error());
  auto store = ctx.store();
  if (!store) return report(store.error());
  if (auto r = ipam::add_pool(**store, *pool); !r) return report(r.error());
  if (ctx.json()) {
    std::cout << encode(*pool).dump(2) << '\n';
  } else {
    std::cout << "pool " << pool->name << " added: " << pool->cidr.to_string() << ", /"
              << pool->block_length << " blocks (" << pool->block_count() << ")\n";
  }
  return exit_ok;
}

int list(Context& ctx) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto pools = ipam::list_pools(**store);
  if (!pools) return report(pools.error());
  warn_skipped(pools->skipped);
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& p : pools->items) out.push_back(encode(p));
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  Table table({"NAME", "CIDR", "BLOCK", "BLOCKS", "ENCAPSULATION", "ENCAPSULATE", "ROUTES", "NAT"});
  for (const auto& p : pools->items) {
    table.add({p.name, p.cidr.to_string(), "/" + std::to_string(p.block_length),
               std::to_string(p.block_count()), std::string(to_string(p.encapsulation)),
               std::string(to_string(p.encapsulate)), std::string(to_string(p.routes)),
               p.nat_outgoing ? "yes" : "no"});
  }
  table.print(std::cout);
  return exit_ok;
}

int remove(Context& ctx, const std::string& name) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  if (auto r = ipam::delete_pool(**store, name); !r) return report(r.error());
  if (!ctx.json()) std::cout << "pool " << name << " deleted\n";
  return exit_ok;
}

}  // namespace

void add_pool_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* pool = app.add_subcommand("pool", "address pools");
  pool->require_subcommand(1);

  auto args = std::make_shared<PoolArgs>();
  auto* add_cmd = pool->add_subcommand("add", "add a pool");
  add_cmd->add_option("name", args->name, "pool name")->required();
  add_cmd->add_option("--cidr", args->cidr, "the pool's CIDR, e.g. 198.19.0.0/16")->required();
  add_cmd->add_option("--block-size", args->block_size, "block prefix length (default /26, IPv6 /122)");
  add_cmd->add_option("--encapsulation", args->encapsulation, "none, vxlan or ipip")
      ->check(CLI::IsMember({"none", "vxlan", "ipip"}));
  add_cmd->add_option("--encapsulate", args->encapsulate, "always or cross-subnet")
      ->check(CLI::IsMember({"always", "cross-subnet"}));
  add_cmd->add_option("--routes", args->routes, "store or bgp")->check(CLI::IsMember({"store", "bgp"}));
  add_cmd->add_flag("--nat-outgoing", args->nat_outgoing, "masquerade traffic leaving the pools");
  add_cmd->callback([&ctx, &exit_code, args] { exit_code = add(ctx, *args); });

  pool->add_subcommand("list", "list pools")->callback([&ctx, &exit_code] { exit_code = list(ctx); });

  auto name = std::make_shared<std::string>();
  auto* del = pool->add_subcommand("delete", "delete a pool no block is held in");
  del->add_option("name", *name, "pool name")->required();
  del->callback([&ctx, &exit_code, name] { exit_code = remove(ctx, *name); });
}

}  // namespace weft::cli
