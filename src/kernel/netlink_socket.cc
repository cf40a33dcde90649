#include "kernel/netlink_socket.h"

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <sys/socket.h>

#include <string>

#include "kernel/errors.h"
#include "kernel/netns.h"

namespace weft::kernel {
namespace {

// What the kernel answered to one request.
struct Answer {
  uint32_t sequence = 0;  // of our request; anything else is a leftover of an abandoned exchange
  bool done = false;
  int errnum = 0;
  std::string kernel_message;
  int parse_error = 0;  // libnl could not parse a returned object (first failure)
  const NetlinkSocket::ObjectFn* on_object = nullptr;
};

// The extended-ack text (NLMSGERR_ATTR_MSG) following an nlmsgerr, if the kernel sent one.
std::string extended_ack_message(const nlmsgerr* error) {
  const auto* header = reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(error) - NLMSG_HDRLEN);
  if ((header->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return {};
  // Without NLM_F_CAPPED the kernel echoes the whole request before the attributes.
  size_t offset = sizeof(nlmsgerr);
  if ((header->nlmsg_flags & NLM_F_CAPPED) == 0) offset += error->msg.nlmsg_len - NLMSG_HDRLEN;
  size_t payload = header->nlmsg_len - NLMSG_HDRLEN;
  if (NLMSG_ALIGN(offset) >= payload) return {};
  const auto* attrs = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(error) + NLMSG_ALIGN(offset));
  int length = static_cast<int>(payload - NLMSG_ALIGN(offset));
  const nlattr* text = nla_find(attrs, length, NLMSGERR_ATTR_MSG);
  if (text == nullptr || nla_len(text) <= 0) return {};
  std::string message(static_cast<const char*>(nla_data(text)), static_cast<size_t>(nla_len(text)));
  while (!message.empty() && message.back() == '\0') message.pop_back();
  return message;
}

int on_error(sockaddr_nl*, nlmsgerr* error, void* arg) {
  auto* answer = static_cast<Answer*>(arg);
  answer->done = true;
  answer->errnum = -error->error;
  answer->kernel_message = extended_ack_message(error);
  return NL_STOP;
}

// Our own sequence check instead of libnl's: libnl's expects answers strictly in order and never
// recovers once an exchange was abandoned halfway (after a parse or memory error); this one just
// skips whatever does not answer the request in flight.
int check_sequence(nl_msg* msg, void* arg) {
  return nlmsg_hdr(msg)->nlmsg_seq == static_cast<Answer*>(arg)->sequence ? NL_OK : NL_SKIP;
}

int on_finish(nl_msg*, void* arg) {
  static_cast<Answer*>(arg)->done = true;
  return NL_STOP;
}

void on_parsed(nl_object* object, void* arg) { (*static_cast<Answer*>(arg)->on_object)(object); }

int on_valid(nl_msg* msg, void* arg) {
  auto* answer = static_cast<Answer*>(arg);
  if (answer->on_object == nullptr || !*answer->on_object) return NL_OK;
  // A dropped object would make a listing silently incomplete (and a reconciler re-add what is
  // there), so a parse failure fails the whole request.
  if (int err = nl_msg_parse(msg, on_parsed, answer); err < 0 && answer->parse_error == 0) answer->parse_error = err;
  return NL_OK;
}

}  // namespace

Result<NetlinkSocket> NetlinkSocket::open() {
  NlSockPtr sock(nl_socket_alloc());
  if (!sock) return fail(Errc::internal, "opening a netlink socket: out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    return wrap(libnl_error(err), "opening a netlink socket");
  }
  // Ask for the kernel's explanation of errors, without the echo of our request.
  int one = 1;
  int fd = nl_socket_get_fd(sock.get());
  ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  return NetlinkSocket(std::move(sock));
}

Result<NetlinkSocket> NetlinkSocket::open_in_netns(std::string_view netns_name) {
  auto guard = NetnsGuard::enter(netns_name);
  if (!guard) return std::unexpected(guard.error());
  auto sock = open();
  if (!sock) return wrap(sock.error(), "in network namespace " + std::string(netns_name));
  return sock;
}

Result<void> NetlinkSocket::request(NlMsgPtr msg, const ObjectFn& on_object) {
  Answer answer;
  answer.on_object = &on_object;
  last_errno_ = 0;
  NlCbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) return fail(Errc::internal, "netlink: out of memory");
  nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &answer);
  nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_finish, &answer);
  nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &answer);
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &answer);
  nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, check_sequence, &answer);

  if (int err = nl_send_auto(sock_.get(), msg.get()); err < 0) return std::unexpected(libnl_error(err));
  answer.sequence = nlmsg_hdr(msg.get())->nlmsg_seq;  // assigned by nl_send_auto
  // A reply to a GET and its ACK may arrive in separate datagrams; keep reading until the
  // exchange is over so that no answer is left for the next request to trip over.
  while (!answer.done) {
    int err = nl_recvmsgs(sock_.get(), cb.get());
    if (answer.errnum != 0) break;
    if (err < 0 && err != -NLE_INTR) return std::unexpected(libnl_error(err));
  }
  last_errno_ = answer.errnum;
  if (answer.errnum != 0) return std::unexpected(errno_error(answer.errnum, answer.kernel_message));
  if (answer.parse_error != 0) return wrap(libnl_error(answer.parse_error), "parsing the kernel's answer");
  return {};
}

Result<NlMsgPtr> dump_request(int type, const void* header, size_t size) {
  NlMsgPtr msg(nlmsg_alloc_simple(type, NLM_F_DUMP));
  if (!msg || nlmsg_append(msg.get(), const_cast<void*>(header), size, NLMSG_ALIGNTO) < 0) {
    return fail(Errc::internal, "netlink: cannot build a dump request");
  }
  return msg;
}

}  // namespace weft::kernel
