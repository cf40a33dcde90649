// FsmTimer, the Fsm's timers on Asio: a timer stopped and started again before the cancelled
// wait's handler ran still fires (a lost ConnectRetry timer left a peer in Active for good).
#include <gtest/gtest.h>

#include "bgp/connection.h"

namespace weft::bgp {
namespace {

TEST(FsmTimer, StopThenStartAtOnceStillFires) {
  asio::io_context io;
  int fired = 0;
  FsmTimer timer(io, [&] { ++fired; });
  timer.start(Seconds(1));
  asio::post(io, [&] {
    timer.stop();
    timer.start(Seconds(1));  // same handler run: the cancelled wait is still queued
  });
  io.run_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer.running());
}

TEST(FsmTimer, StopPreventsTheExpiry) {
  asio::io_context io;
  int fired = 0;
  FsmTimer timer(io, [&] { ++fired; });
  timer.start(Seconds(1));
  asio::post(io, [&] { timer.stop(); });
  io.run_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace weft::bgp
