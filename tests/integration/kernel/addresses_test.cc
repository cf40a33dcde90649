// IPv4 and IPv6 addresses on a device: idempotent add, list, delete.
#include <algorithm>

#include "kernel/addresses.h"
#include "kernel_fixture.h"

namespace weft::kernel::testing {
namespace {

using Addresses = KernelTest;

bool contains(const std::vector<LinkAddress>& list, const LinkAddress& address) {
  return std::find(list.begin(), list.end(), address) != list.end();
}

TEST_F(Addresses, AddIsIdempotentListDelete) {
  NetlinkSocket& s = sock("ad");
  LinkInfo link = veth_with_address("ad", "a0", "a1");
  LinkAddress v4{link.index, ip("198.18.0.1"), 24};
  LinkAddress v6{link.index, ip("2001:db8::1"), 64};

  ASSERT_TRUE(add_address(s, v4).has_value());
  ASSERT_TRUE(add_address(s, v6).has_value());
  auto again = add_address(s, v4);
  EXPECT_TRUE(again.has_value()) << again.error().describe();
  EXPECT_TRUE(add_address(s, v6).has_value());

  auto listed = list_addresses(s, link.index);
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(contains(*listed, v4));
  EXPECT_TRUE(contains(*listed, v6));
  auto only_v4 = list_addresses(s, link.index, Family::v4);
  ASSERT_TRUE(only_v4.has_value());
  EXPECT_EQ(*only_v4, std::vector<LinkAddress>{v4});
  // NODAD: the address is usable at once, not tentative (unlike the kernel's own link-local one).
  std::string shown = ip_in("ad", "-6 -o addr show dev a0 to 2001:db8::1/128");
  EXPECT_NE(shown.find("2001:db8::1/64"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("tentative"), std::string::npos) << shown;

  // The same IPv6 address with another length is a conflict, not "already there".
  auto other_length = add_address(s, {link.index, ip("2001:db8::1"), 80});
  ASSERT_FALSE(other_length.has_value());
  EXPECT_EQ(other_length.error().code, Errc::already_exists);
  EXPECT_NE(other_length.error().message.find("adding address 2001:db8::1/80 to a0: File exists (errno 17"),
            std::string::npos)
      << other_length.error().message;

  ASSERT_TRUE(delete_address(s, v4).has_value());
  ASSERT_TRUE(delete_address(s, v6).has_value());
  listed = list_addresses(s, link.index);
  ASSERT_TRUE(listed.has_value());
  EXPECT_FALSE(contains(*listed, v4));
  EXPECT_FALSE(contains(*listed, v6));
  auto gone = delete_address(s, v4);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, Errc::not_found);
  EXPECT_NE(gone.error().message.find("deleting address 198.18.0.1/24 from a0"), std::string::npos);
}

}  // namespace
}  // namespace weft::kernel::testing
