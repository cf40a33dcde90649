// weft: the command-line interface to a weft cluster's store.
#include <cstdlib>
#include <iostream>

#include "base/log.h"
#include "cli/context.h"

namespace weft::cli {

Result<store::Store*> Context::store() {
  if (!store_) {
    store::StoreOptions options{store_url, tls_ca, tls_cert, tls_key, std::chrono::milliseconds(5000)};
    auto opened = store::open_store(options);
    if (!opened) return std::unexpected(opened.error());
    store_ = std::move(*opened);
  }
  return store_.get();
}

int report(const Error& error) {
  std::cerr << "weft: " << error.message << '\n';
  return exit_error;
}

void warn_skipped(const std::vector<Error>& skipped) {
  for (const auto& e : skipped) std::cerr << "weft: warning: skipped unreadable " << e.message << '\n';
}

}  // namespace weft::cli

int main(int argc, char** argv) {
  using namespace weft::cli;
  weft::init_logging("warn");
  Context ctx;
  int exit_code = exit_ok;

  CLI::App app{"weft: container network fabric"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--store, -o) may follow the subcommand
  const char* env_store = std::getenv("WEFT_STORE");
  ctx.store_url = env_store != nullptr && *env_store != '\0' ? env_store : "etcd://127.0.0.1:2379";
  app.add_option("--store", ctx.store_url,
                 "etcd://HOST:PORT[,HOST:PORT...] or file:PATH (default: $WEFT_STORE or etcd://127.0.0.1:2379)");
  app.add_option("--tls-ca", ctx.tls_ca, "etcd: CA certificate file (enables TLS)");
  app.add_option("--tls-cert", ctx.tls_cert, "etcd: client certificate file");
  app.add_option("--tls-key", ctx.tls_key, "etcd: client key file");
  app.add_option("-o,--output", ctx.output, "output format: table or json")
      ->check(CLI::IsMember({"table", "json"}));

  add_pool_commands(app, ctx, exit_code);
  add_node_commands(app, ctx, exit_code);
  add_block_commands(app, ctx, exit_code);
  add_ipam_commands(app, ctx, exit_code);
  add_namespace_commands(app, ctx, exit_code);
  add_bgp_commands(app, ctx, exit_code);
  add_policy_commands(app, ctx, exit_code);
  add_explain_command(app, ctx, exit_code);
  add_lab_commands(app, ctx, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "weft: " << e.what() << "\n" << "Run with --help for usage.\n";
    return exit_usage;
  }
  return exit_code;
}
