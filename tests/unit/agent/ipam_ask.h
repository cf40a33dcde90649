// ask(): one request to an IpamService, waiting for the answer its worker thread gives. Bounded:
// an answer that never comes fails the test instead of hanging it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>

#include "agent/ipam_service.h"

namespace weft::agent {

inline ipam::protocol::Response ask(IpamService& ipam, ipam::protocol::Request request) {
  auto answer = std::make_shared<std::promise<ipam::protocol::Response>>();
  auto future = answer->get_future();
  ipam.submit(std::move(request), [answer](ipam::protocol::Response r) { answer->set_value(std::move(r)); });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "the IPAM service did not answer within 10 s";
    return ipam::protocol::Response::failure(Error{Errc::unavailable, "no answer"});
  }
  return future.get();
}

}  // namespace weft::agent
