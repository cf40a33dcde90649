#include "kernel/nftables.h"

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/unique_fd.h"

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

Result<uint32_t> nft_generation() {
  UniqueFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!sock.ok()) return fail(Errc::io, "nftables generation: socket: ", std::strerror(errno));
  struct {
    nlmsghdr header;
    nfgenmsg body;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = 1;
  request.body.nfgen_family = AF_UNSPEC;
  request.body.version = NFNETLINK_V0;
  sockaddr_nl kernel_address{};
  kernel_address.nl_family = AF_NETLINK;
  if (::sendto(sock.get(), &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel_address), sizeof kernel_address) < 0) {
    return fail(Errc::io, "nftables generation: send: ", std::strerror(errno));
  }
  alignas(nlmsghdr) char buffer[4096];
  const ssize_t n = ::recv(sock.get(), buffer, sizeof buffer, 0);
  if (n < 0) return fail(Errc::io, "nftables generation: receive: ", std::strerror(errno));
  const auto* reply = reinterpret_cast<const nlmsghdr*>(buffer);
  if (!NLMSG_OK(reply, static_cast<unsigned>(n))) return fail(Errc::io, "nftables generation: short reply");
  if (reply->nlmsg_type == NLMSG_ERROR) {
    const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(reply));
    return fail(Errc::io, "nftables generation: ", std::strerror(-e->error));
  }
  // The attributes follow the nfgenmsg; NFTA_GEN_ID is a big-endian u32.
  const size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  for (size_t at = offset; at + sizeof(nlattr) <= reply->nlmsg_len;) {
    nlattr attribute;
    std::memcpy(&attribute, buffer + at, sizeof attribute);
    if (attribute.nla_len < sizeof(nlattr) || at + attribute.nla_len > reply->nlmsg_len) break;
    if ((attribute.nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID && attribute.nla_len >= NLA_HDRLEN + sizeof(uint32_t)) {
      uint32_t id;
      std::memcpy(&id, buffer + at + NLA_HDRLEN, sizeof id);
      return ntohl(id);
    }
    at += NLA_ALIGN(attribute.nla_len);
  }
  return fail(Errc::io, "nftables generation: no NFTA_GEN_ID in the reply");
}

}  // namespace weft::kernel
