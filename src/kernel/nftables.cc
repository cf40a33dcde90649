#include "kernel/nftables.h"

#include <nftables/libnftables.h>

#include <memory>

namespace weft::kernel {
namespace {

struct CtxDeleter {
  void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};
using NftCtx = std::unique_ptr<nft_ctx, CtxDeleter>;

struct Outcome {
  int rc = 0;
  std::string output;
  std::string error;
};

Outcome run(std::string_view text) {
  NftCtx ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  Outcome out;
  if (!ctx) {
    out.rc = -1;
    out.error = "cannot create an nftables context";
    return out;
  }
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  const std::string buffer(text);  // libnftables wants a NUL-terminated string
  out.rc = nft_run_cmd_from_buffer(ctx.get(), buffer.c_str());
  if (const char* o = nft_ctx_get_output_buffer(ctx.get())) out.output = o;
  if (const char* e = nft_ctx_get_error_buffer(ctx.get())) out.error = e;
  while (!out.error.empty() && out.error.back() == '\n') out.error.pop_back();
  return out;
}

}  // namespace

Result<void> nft_run(std::string_view script) {
  auto out = run(script);
  if (out.rc != 0) {
    const bool syntax = out.error.find("syntax error") != std::string::npos;
    return fail(syntax ? Errc::invalid_argument : Errc::io, "nftables: ", out.error);
  }
  return {};
}

Result<std::string> nft_list(std::string_view command) {
  auto out = run(command);
  if (out.rc != 0) {
    const bool missing = out.error.find("No such file or directory") != std::string::npos;
    return fail(missing ? Errc::not_found : Errc::io, "nftables: ", out.error);
  }
  return out.output;
}

}  // namespace weft::kernel
