// What every weft subcommand shares: the store it talks to, the output format, and the exit-code
// convention (0 ok, 1 error with one line on stderr, 2 usage).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "base/result.h"
#include "store/store.h"

namespace weft::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_error = 1;
inline constexpr int exit_usage = 2;

struct Context {
  std::string store_url;  // --store, else $WEFT_STORE, else etcd://127.0.0.1:2379
  std::string output = "table";
  std::string tls_ca, tls_cert, tls_key;

  bool json() const { return output == "json"; }
  // Opens the store once; later calls return the same one.
  Result<store::Store*> store();

 private:
  std::unique_ptr<store::Store> store_;
};

// Prints "weft: <message>" on stderr and returns exit_error.
int report(const Error& error);
// Prints each skipped-object error as a warning on stderr.
void warn_skipped(const std::vector<Error>& skipped);

void add_pool_commands(CLI::App& app, Context& ctx, int& exit_code);
void add_node_commands(CLI::App& app, Context& ctx, int& exit_code);
void add_block_commands(CLI::App& app, Context& ctx, int& exit_code);
void add_ipam_commands(CLI::App& app, Context& ctx, int& exit_code);  // ipam, endpoint
void add_ipam_check_command(CLI::App& ipam, Context& ctx, int& exit_code);  // ipam check (ipam_check.cc)
void add_namespace_commands(CLI::App& app, Context& ctx, int& exit_code);
void add_bgp_commands(CLI::App& app, Context& ctx, int& exit_code);
void add_policy_commands(CLI::App& app, Context& ctx, int& exit_code);
void add_explain_command(CLI::App& app, Context& ctx, int& exit_code);
void add_lab_commands(CLI::App& app, Context& ctx, int& exit_code);  // cli/lab/

}  // namespace weft::cli
